"""Shared by the self-check tests: a stub exercise answer, and the one-line verdict of a check."""


def stub(*args, **kwargs):
    raise NotImplementedError


def verdict(check, fn, capsys):
    result = check(fn)
    printed = capsys.readouterr().out.strip()
    assert printed == result.verdict() and "\n" not in printed, "one printed line, the verdict"
    return result, printed
