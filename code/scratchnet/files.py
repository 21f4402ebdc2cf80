"""Writing files so that a reader never sees half of one, with one permission policy.

Everything scratchnet writes (the data caches, model files, the demo's web model) goes through
:func:`write_atomically` or :func:`write_folder_atomically`: the content is written to a temporary
file (or folder) beside the target, which is then renamed into place, so another process sees the
old version or the complete new one, and a failed write leaves no temporary file behind. Files get
``FILE_MODE`` and folders ``FOLDER_MODE`` (readable by everyone, writable by the owner): nothing
scratchnet writes is a secret, and a web server must be able to read the demo's model.

A process killed mid-write (``SIGKILL``, a power cut) cannot clean up: its temporary file stays,
under a name no reader looks for (``.<name>.<random>.tmp``). Each temporary file is locked
(``flock``) while it is written, and the kernel drops the lock when its writer dies, so
:func:`remove_stale_temporaries` can tell the leftovers of dead writers from files being written.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o644
FOLDER_MODE = 0o755


def write_atomically(path: str | os.PathLike, content: bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder and a rename.

    The folder is created if needed; an ``OSError`` (no permission, a folder in the way) is
    raised with nothing left behind. Returns the path.
    """
    with atomic_file(path) as file:
        file.write(content)
    return Path(path)


@contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A file to write ``path``'s new content into, in place only once the block ends cleanly.

    The file is a locked temporary beside ``path``; at the end of the block it gets ``FILE_MODE``
    and is renamed to ``path``. An exception in the block removes it and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as file:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)   # held until the file is closed
            yield file
            file.flush()
            os.chmod(tmp, FILE_MODE)          # mkstemp makes the file owner-only
            os.replace(tmp, path)             # renamed while still locked: never seen as stale
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


TEMP_SUFFIX = ".tmp"


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that writers killed mid-write left in ``folder``; the list.

    A temporary file or staging folder (``.<name>.*.tmp``) that no process holds locked has no
    live writer; one being written is locked and left alone. Other names are never touched.
    """
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for candidate in folder.glob(f".*{TEMP_SUFFIX}"):
        try:
            handle = os.open(candidate, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)   # fails while a writer lives
            if candidate.is_dir():
                shutil.rmtree(candidate)
            else:
                candidate.unlink()
            removed.append(candidate)
        except OSError:
            continue
        finally:
            os.close(handle)
    return removed


def write_folder_atomically(folder: str | os.PathLike, files: dict[str, bytes]) -> Path:
    """Make ``folder`` hold exactly ``files`` (name -> content), all at once.

    The files are written into a temporary sibling folder, which then replaces ``folder``: another
    process sees the whole folder or none of it, and a damaged old copy is replaced. When another
    process completes the same folder first, its copy is kept. Returns the folder.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.",
                                    suffix=TEMP_SUFFIX))
    lock = os.open(staging, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)   # a live writer's folder: not stale
    try:
        os.chmod(staging, FOLDER_MODE)        # mkdtemp makes the folder owner-only
        for name, content in files.items():
            write_atomically(staging / name, content)
        if folder.exists():
            shutil.rmtree(folder)
        os.rename(staging, folder)
    except OSError:
        if not folder.is_dir():
            raise
        # another process finished first: keep its copy
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        os.close(lock)
    return folder
