"""What ``scratchnet data fetch`` and ``scratchnet data info`` report: the datasets on disk, their
files, splits and checksums, as JSON-ready dictionaries."""

from scratchnet.data import sources
from scratchnet.data.datasets import CLASS_NAMES, LOADERS, Dataset, as_dataset
from scratchnet.data.splits import SPLIT_SEED, describe_split, split_indices
from scratchnet.errors import DataError


def summary(dataset: Dataset, seed: int = SPLIT_SEED) -> dict:
    """What ``data fetch`` and ``data info`` report about a dataset (JSON-ready)."""
    train, dev, test = split_indices(dataset, seed)
    n_test = None if dataset.test_labels is None else len(dataset.test_labels)
    return {
        "name": dataset.name, "source": dataset.source, "location": dataset.location,
        "official": dataset.official, "verified": dataset.verified,
        "images": {"train": len(dataset.train_labels), "test": n_test},
        "splits": {"train": len(train), "dev": len(dev),
                   "test": len(test) if test is not None else n_test},
        "split": describe_split(dataset, seed),
        "checksums": dict(dataset.checksums),
    }


def info() -> list[dict]:
    """What is available without the network: one entry per dataset and source on disk.

    Each entry has name, source, location, ``default`` (whether ``load(name)`` would pick it),
    images per file set and per split, the content checksums and whether they were verified. A
    copy that is there but damaged, incomplete or unusable is an entry with ``error`` saying what
    is wrong; a dataset with nothing on disk gets one entry with ``source`` None.
    """
    entries = []
    for name in CLASS_NAMES:
        found_any = reported = False
        for each in sources.sources_for(name):
            try:
                dataset = as_dataset(name, LOADERS[each](name, offline=True))
                entries.append({**summary(dataset), "default": not found_any})
                found_any = True
            except DataError as error:       # Damaged is a SourceUnavailable worth reporting
                if isinstance(error, sources.SourceUnavailable) and not isinstance(
                        error, sources.Damaged):
                    continue                 # nothing of this source on disk
                entries.append({"name": name, "source": each, "error": str(error)})
                reported = True
        if not found_any and not reported:
            entries.append({"name": name, "source": None, "location": None})
    return entries
