"""The one exception type the library raises for bad input, and the one-line form of a message.

Every message is a single line that names the file (or argument) and what is wrong with it,
so the CLI can print it as it is and exit non-zero without a traceback.
"""


class ScratchnetError(Exception):
    """Bad input: a file, a dataset or an argument the library cannot use."""


class DataError(ScratchnetError):
    """A data file that is missing, corrupt or malformed: ``DataError("path: what is wrong")``."""


class ModelFileError(ScratchnetError):
    """A saved model file that is malformed, unsafe (pickle-bearing) or inconsistent."""


def one_line(error: BaseException | str) -> str:
    """The text of ``error`` on one line: each run of white space (newlines too) becomes a space.

    An exception without a message is named by its type (``EOFError``), so the line is never empty.
    """
    text = " ".join(str(error).split())
    if not text and isinstance(error, BaseException):
        return type(error).__name__
    return text
