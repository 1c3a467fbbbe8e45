"""Every dataset by name -> upright uint8 images (N, 28, 28), integer labels and class names.

One module per source, each a `base.Source` subclass (what its files are, how to load them, what is
present, how to fetch them):
    mnist.py           the four official IDX files, downloaded on first use
    emnist.py          every EMNIST split, from loose files or NIST's gzip.zip (downloaded on first use)
    kaggle.py          Kaggle's Digit Recognizer train.csv / test.csv (uploaded: Kaggle needs a login)
    sklearn_digits.py  scikit-learn's 8x8 digits, bundled
    class_drawings.py  the class's drawings, from the class database (whole students held out as test)
The registry below (DATASETS) holds one Source per dataset name; `load`, `fetch`, `file_status`,
`on_disk`, `can_download` and `download_size_mb` ask the dataset's Source, with no ladder of names.
decoded.py keeps decoded arrays in the cache folder (MNIST's gzipped IDX files are decoded once).

Adding a source: write core/datasets/<name>.py with a Source subclass (override `load`; `present` and
`state` when it has files; `fetch` and `download_size_mb`, with `can_download = True`, when it can
download them) and a module-level `SOURCES = [YourSource("the-name", "Title", "mnist", files, where)]`,
then add the module to the one `_register(...)` line below. The CLI (`python -m core datasets`), the
Datasets and Train pages and training then know it by its name.

Files are looked up in HWLAB_DATA_DIR (see config.py), laid out like the official downloads, and then
in the download cache (config.download_dir(), the same folder when it is writable). A split whose
training files are absent but whose test files are present is re-split with a fixed seed (stratified,
20% held out as test); its provenance says so.

`load(name)` downloads what is missing where that is possible, with a progress callback and checksum;
`load(name, download=False)` never does, and `fetch(name)` only downloads.
"""
from __future__ import annotations

from typing import Callable, Optional

from .. import config
from ..progress import ProgressCallback
from ..errors import DatasetMissing, HWLabError
from . import class_drawings, emnist, kaggle, mnist, sklearn_digits
from .base import (DIGITS, LOWER, RESPLIT_SEED, RESPLIT_TEST_FRACTION, UPPER, VALIDATION_FRACTION,  # noqa: F401
                   Dataset, Source, Split, class_counts, counts, image_keys, sample_indices, stratified_split,
                   validation_count)

DATASETS: dict[str, Source] = {}


def _register(*modules) -> None:
    for m in modules:
        for s in m.SOURCES:
            DATASETS[s.name] = s


_register(mnist, emnist, kaggle, sklearn_digits, class_drawings)

# Names other modules read (the class tables, the sibling layouts for training).
EMNIST_CLASSES = emnist.CLASSES
EMNIST_SIBLING = emnist.SIBLING
emnist_sibling_images = emnist.sibling_images


def spec(name: str) -> Source:
    if name not in DATASETS:
        raise DatasetMissing(f"Unknown dataset {name!r}. Known: {', '.join(DATASETS)}.")
    return DATASETS[name]


def load(name: str, progress: ProgressCallback = None, download: bool = True,
         init_from: Optional[str] = None, room: Optional[str] = None) -> Dataset:
    """The dataset called `name` (see DATASETS). With download=True (the default) what is missing is
    downloaded where that is possible, reporting progress(bytes done, total bytes or None). With
    `init_from`, a bundle's name: the data as fine-tuning that bundle trains on it (Source.for_fine_tuning;
    the class's drawings then mix in the bundle's own training images). `room`, a join code: the class's
    drawings of that room (the other datasets have no rooms)."""
    source = spec(name)
    if room is not None and name == class_drawings.NAME:
        return source.for_fine_tuning(class_drawings.load_room(room), init_from)
    return source.for_fine_tuning(source.load(progress, download), init_from)


def on_disk(name: str) -> bool:
    """Whether a dataset can be read from disk now, without a download (decides 'evaluate afresh')."""
    return name in DATASETS and DATASETS[name].on_disk()


def can_download(name: str) -> bool:
    """Whether `fetch` can get this dataset's official files (MNIST and EMNIST; not Kaggle, which needs a login)."""
    return name in DATASETS and DATASETS[name].can_download


def download_size_mb(name: str) -> Optional[float]:
    """About how many MB `fetch(name)` would download now (0 when nothing is missing), None if it cannot."""
    return DATASETS[name].download_size_mb() if name in DATASETS else None


def fetch(name: str, progress: ProgressCallback = None) -> None:
    """Download the official files of a dataset into the download cache (checksum verified; an interrupted
    or failed download leaves no file). Raises DatasetMissing (with the folder and the address) when it cannot."""
    spec(name).fetch(progress)


def file_status(name: str) -> dict:
    """What of a dataset is here and what is not: files present and missing, whether it can be used and how,
    the folder, and where to get the rest."""
    s = spec(name)
    if (own := s.status()) is not None:
        return own
    present, missing = [], []
    for f in s.files:
        (present if s.present(f.split("/")[-1]) else missing).append(f)
    state, usable, how = s.state(present, missing)
    folder = config.data_dir() / (s.files[0].split("/")[0] if s.files else "")
    download_how = "automatic" if s.can_download else ("none needed" if not s.files else "manual")
    return {"name": s.name, "title": s.title, "state": state, "usable": usable, "how": how,
            "present": present, "missing": missing, "folder": str(folder), "data_dir": str(config.data_dir()),
            "source": s.source, "download": download_how}


def signature(name: str) -> tuple:
    """Changes when a dataset's files do (a download, an upload, another data folder): a cache key."""
    s = spec(name)
    return (str(config.data_dir()),) + tuple(file_status(name)["present"]) + s.version()


def load_offline(name: str, read: Optional[Callable[[str], Dataset]] = None) -> Optional[Dataset]:
    """The dataset when its files are already on disk and readable, else None. Never downloads (a page must
    not stall on the network); may take a few seconds to read. `read(name)`: how to read it (the pages' shared
    cache, ui/state.dataset); by default load(name, download=False)."""
    if not on_disk(name):
        return None
    try:
        return read(name) if read else load(name, download=False)
    except (HWLabError, OSError, ValueError):
        return None
