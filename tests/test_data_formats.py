"""IDX and Kaggle-CSV files: what is read, and how each kind of bad file is refused.

Every refusal is a ``DataError`` whose message is one line that starts with the file's path.
"""

import gzip
import struct

import numpy as np
import pytest
from data_support import synthetic

from scratchnet.data import read_csv, read_idx, read_images_labels, scale, write_idx
from scratchnet.errors import DataError

pytestmark = pytest.mark.isolated_data


def refused(path, reader=read_idx) -> str:
    """The message ``reader`` raises for ``path``; it must be one line naming the file."""
    with pytest.raises(DataError) as caught:
        reader(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: "), message
    return message


# ---------------------------------------------------------------------------------------- IDX

@pytest.mark.parametrize("file_name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_idx_round_trip_keeps_images_and_labels_exactly(tmp_path, file_name):
    images, labels = synthetic(50)
    write_idx(tmp_path / file_name, images)
    write_idx(tmp_path / ("labels-" + file_name), labels)
    back_images = read_idx(tmp_path / file_name)
    back_labels = read_idx(tmp_path / ("labels-" + file_name))
    assert back_images.dtype == np.uint8 and back_images.shape == (50, 28, 28)
    assert back_labels.dtype == np.uint8 and back_labels.shape == (50,)
    np.testing.assert_array_equal(back_images, images)
    np.testing.assert_array_equal(back_labels, labels)


def test_write_idx_compresses_when_the_name_ends_in_gz_and_not_otherwise(tmp_path):
    images, _ = synthetic(3)
    write_idx(tmp_path / "a.gz", images)
    write_idx(tmp_path / "a", images)
    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "a").read_bytes()[:4] == b"\x00\x00\x08\x03"
    assert gzip.decompress((tmp_path / "a.gz").read_bytes()) == (tmp_path / "a").read_bytes()


def test_gzip_is_recognised_by_content_even_without_the_gz_suffix(tmp_path):
    _, labels = synthetic(20)
    write_idx(tmp_path / "labels.gz", labels)
    (tmp_path / "labels.gz").rename(tmp_path / "labels-idx1-ubyte")
    np.testing.assert_array_equal(read_idx(tmp_path / "labels-idx1-ubyte"), labels)


def idx_header(magic: int, *dims: int) -> bytes:
    return struct.pack(f">I{len(dims)}I", magic, *dims)


def write(path, content: bytes):
    path.write_bytes(content)
    return path


def good_gz(tmp_path) -> bytes:
    images, _ = synthetic(40)
    write_idx(tmp_path / "good.gz", images)
    return (tmp_path / "good.gz").read_bytes()


def test_missing_file_is_rejected_naming_the_file(tmp_path):
    assert "no such file" in refused(tmp_path / "nowhere-idx3-ubyte.gz")


def test_empty_file_is_rejected_naming_the_file(tmp_path):
    assert "empty file" in refused(write(tmp_path / "empty.gz", b""))


def test_directory_instead_of_file_is_rejected_naming_it(tmp_path):
    (tmp_path / "adir").mkdir()
    assert "is a directory" in refused(tmp_path / "adir")


def test_truncated_gzip_is_rejected_naming_the_file(tmp_path):
    content = good_gz(tmp_path)
    assert "truncated gzip" in refused(write(tmp_path / "cut.gz", content[: len(content) // 2]))


def test_corrupt_gzip_is_rejected_naming_the_file(tmp_path):
    content = bytearray(good_gz(tmp_path))
    content[3] = 0xFF  # reserved flag bits: not a valid gzip header
    assert "corrupt gzip" in refused(write(tmp_path / "bad.gz", bytes(content)))


def test_gzip_with_a_damaged_checksum_is_rejected_naming_the_file(tmp_path):
    content = bytearray(good_gz(tmp_path))
    content[-8] ^= 0xFF  # the CRC-32 of the content
    assert "corrupt gzip" in refused(write(tmp_path / "crc.gz", bytes(content)))


def test_wrong_idx_magic_is_rejected_naming_the_file(tmp_path):
    path = write(tmp_path / "pic.png", b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert "wrong IDX magic 0x89504e47" in refused(path)


def test_idx_of_other_than_one_or_three_dimensions_is_rejected(tmp_path):
    path = write(tmp_path / "matrix-idx2-ubyte", idx_header(0x0802, 2, 784) + bytes(2 * 784))
    assert "2 dimensions" in refused(path)


def test_images_that_are_not_28_by_28_are_rejected(tmp_path):
    path = write(tmp_path / "big-idx3-ubyte", idx_header(0x0803, 2, 32, 32) + bytes(2 * 32 * 32))
    assert "32×32 pixels, expected 28×28" in refused(path)


def test_data_shorter_than_the_header_says_is_rejected(tmp_path):
    path = write(tmp_path / "short-idx3-ubyte", idx_header(0x0803, 5, 28, 28) + bytes(4 * 784))
    message = refused(path)
    assert "truncated" in message and "3,920 values but the file holds 3,136" in message


def test_data_longer_than_the_header_says_is_rejected(tmp_path):
    path = write(tmp_path / "long-idx1-ubyte", idx_header(0x0801, 5) + bytes(6))
    assert "trailing bytes" in refused(path)


def test_truncated_idx_header_is_rejected(tmp_path):
    path = write(tmp_path / "stub-idx3-ubyte", idx_header(0x0803, 5)[:7])
    assert "truncated IDX header" in refused(path)


def test_label_outside_0_to_9_is_rejected_naming_the_file(tmp_path):
    path = write(tmp_path / "labels-idx1-ubyte", idx_header(0x0801, 4) + bytes([1, 2, 10, 3]))
    assert "label 10 at index 2 outside 0–9" in refused(path)


def test_image_label_count_mismatch_is_rejected_naming_the_labels_file(tmp_path):
    images, labels = synthetic(6)
    write_idx(tmp_path / "images.gz", images)
    write_idx(tmp_path / "labels.gz", labels[:5])
    with pytest.raises(DataError, match=r"labels\.gz: 5 labels for 6 images in images\.gz$"):
        read_images_labels(tmp_path / "images.gz", tmp_path / "labels.gz")


def test_swapped_images_and_labels_files_are_rejected(tmp_path):
    images, labels = synthetic(6)
    write_idx(tmp_path / "images.gz", images)
    write_idx(tmp_path / "labels.gz", labels)
    with pytest.raises(DataError, match=r"labels\.gz: holds labels \(1-D\), expected images"):
        read_images_labels(tmp_path / "labels.gz", tmp_path / "images.gz")


# ---------------------------------------------------------------------------------------- CSV

def csv_text(images, labels, header: str | None) -> str:
    rows = [",".join(map(str, [label, *image.ravel()]))
            for image, label in zip(images, labels, strict=True)]
    return "\n".join(([header] if header else []) + rows) + "\n"


HEADERS = {
    "digit-recognizer": "label," + ",".join(f"pixel{i}" for i in range(784)),
    "fashion-mnist": "label," + ",".join(f"pixel{i}" for i in range(1, 785)),
    "no-header": None,
}


@pytest.mark.parametrize("style", HEADERS)
def test_csv_is_read_in_all_three_header_styles(tmp_path, style):
    images, labels = synthetic(12)
    path = tmp_path / "train.csv"
    path.write_text(csv_text(images, labels, HEADERS[style]))
    back_images, back_labels = read_csv(path)
    assert back_images.dtype == np.uint8 and back_images.shape == (12, 28, 28)
    assert back_labels.dtype == np.uint8
    np.testing.assert_array_equal(back_images, images)
    np.testing.assert_array_equal(back_labels, labels)


def test_gzipped_csv_is_read(tmp_path):
    images, labels = synthetic(5)
    path = tmp_path / "mnist_train.csv.gz"
    path.write_bytes(gzip.compress(csv_text(images, labels, None).encode()))
    np.testing.assert_array_equal(read_csv(path)[0], images)


def bad_csv(tmp_path, edit, header=HEADERS["digit-recognizer"]) -> str:
    """The message for a 4-row CSV after ``edit(rows)`` changed its rows (lists of strings)."""
    images, labels = synthetic(4)
    rows = [[str(label), *map(str, image.ravel())]
            for image, label in zip(images, labels, strict=True)]
    edit(rows)
    path = tmp_path / "train.csv"
    path.write_text("\n".join(([header] if header else []) + [",".join(r) for r in rows]) + "\n")
    return refused(path, read_csv)


def test_csv_with_784_columns_is_rejected_as_wrong_column_count(tmp_path):
    def drop_label(rows):
        rows[:] = [row[1:] for row in rows]
    message = bad_csv(tmp_path, drop_label, header=None)
    assert "784 columns, expected 785" in message


def test_csv_row_with_an_extra_value_is_rejected(tmp_path):
    message = bad_csv(tmp_path, lambda rows: rows[2].append("0"))
    assert "line 4 has 786 values, expected 785" in message


def test_csv_row_with_too_few_values_is_rejected_naming_the_line(tmp_path):
    def shorten(rows):
        del rows[1][700:]
    assert "line 3 has 700 values, expected 785" in bad_csv(tmp_path, shorten)


def test_non_numeric_csv_value_is_rejected_naming_row_and_column(tmp_path):
    def spoil(rows):
        rows[1][5] = "abc"
    message = bad_csv(tmp_path, spoil)
    assert "line 3, column 6 (pixel4): non-numeric value 'abc'" in message


def test_fractional_csv_pixel_is_rejected(tmp_path):
    def spoil(rows):
        rows[0][1] = "12.5"
    assert "line 2, column 2: 12.5 is not a whole number" in bad_csv(tmp_path, spoil)


@pytest.mark.parametrize("value", ["256", "-1"])
def test_csv_pixel_outside_0_to_255_is_rejected(tmp_path, value):
    def spoil(rows):
        rows[3][100] = value
    message = bad_csv(tmp_path, spoil)
    assert f"line 5, column 101: pixel value {value} outside 0–255" in message


def test_csv_label_outside_0_to_9_is_rejected(tmp_path):
    def spoil(rows):
        rows[2][0] = "10"
    assert "line 4, column 1: label 10 outside 0–9" in bad_csv(tmp_path, spoil)


def test_header_only_csv_is_rejected(tmp_path):
    assert "no data rows" in bad_csv(tmp_path, lambda rows: rows.clear())


def test_empty_csv_is_rejected(tmp_path):
    assert "empty file" in refused(write(tmp_path / "train.csv", b""), read_csv)


def test_missing_csv_is_rejected(tmp_path):
    assert "no such file" in refused(tmp_path / "absent.csv", read_csv)


def test_csv_without_a_label_column_is_rejected(tmp_path):
    def drop_label(rows):
        rows[:] = [row[1:] for row in rows]
    header = ",".join(f"pixel{i}" for i in range(784))  # Kaggle's test.csv
    assert "first column is 'pixel0', expected 'label'" in bad_csv(tmp_path, drop_label, header)


def test_truncated_gzipped_csv_is_rejected(tmp_path):
    images, labels = synthetic(30)
    packed = gzip.compress(csv_text(images, labels, None).encode())
    assert "truncated gzip" in refused(write(tmp_path / "t.csv.gz", packed[:-200]), read_csv)


# ---------------------------------------------------------------------------------------- scale

def test_scale_flattens_rows_and_divides_by_255():
    images, _ = synthetic(7)
    X = scale(images)
    assert X.dtype == np.float32 and X.shape == (7, 784)
    np.testing.assert_array_equal(X, images.reshape(7, 784).astype(np.float32) / np.float32(255))
    assert X[0, 28 * 3 + 5] == np.float32(images[0, 3, 5]) / np.float32(255)  # row-major
    assert scale(np.full((1, 28, 28), 255, np.uint8)).max() == 1.0
