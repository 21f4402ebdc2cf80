"""Writing files so that a reader never sees half of one, with one permission policy.

Everything scratchnet writes (the data caches, model files, the demo's web model) goes through
:func:`write_atomically` or :func:`write_folder_atomically`: the content is written to a temporary
file (or folder) beside the target, which is then renamed into place, so another process sees the
old version or the complete new one, and a failed write leaves no temporary file behind. Files get
``FILE_MODE`` and folders ``FOLDER_MODE`` (readable by everyone, writable by the owner): nothing
scratchnet writes is a secret, and a web server must be able to read the demo's model.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

FILE_MODE = 0o644
FOLDER_MODE = 0o755


def write_atomically(path: str | os.PathLike, content: bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder and a rename.

    The folder is created if needed; an ``OSError`` (no permission, a folder in the way) is
    raised with nothing left behind. Returns the path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(tmp, FILE_MODE)              # mkstemp makes the file owner-only
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_folder_atomically(folder: str | os.PathLike, files: dict[str, bytes]) -> Path:
    """Make ``folder`` hold exactly ``files`` (name -> content), all at once.

    The files are written into a temporary sibling folder, which then replaces ``folder``: another
    process sees the whole folder or none of it, and a damaged old copy is replaced. When another
    process completes the same folder first, its copy is kept. Returns the folder.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
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
    return folder
