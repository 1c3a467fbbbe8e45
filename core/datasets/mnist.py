"""MNIST: the four official IDX files, downloaded on first use (checksum verified) when missing.
Looked up as mnist/<file> or <file> in the data folder or the download cache, gzipped or not."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from .. import config
from .download import download
from ..progress import ProgressCallback, shifted
from ..errors import DatasetMissing, DownloadError
from . import decoded
from .idx import parse_idx
from .base import DIGITS, Dataset, Source, Split, check_split, find

URLS = [  # the official address first, then the long-standing public mirrors of the same files
    "https://yann.lecun.com/exdb/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
]
MD5 = {  # md5 of the official .gz files
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
SIZES = {"train-images-idx3-ubyte.gz": 9912422, "train-labels-idx1-ubyte.gz": 28881,
         "t10k-images-idx3-ubyte.gz": 1648877, "t10k-labels-idx1-ubyte.gz": 4542}


def _local(fname: str) -> Optional[Path]:
    return find([f"mnist/{fname}", fname, f"mnist/{fname[:-3]}", fname[:-3]])


def _missing_error(missing: list[str], why: str = "") -> DatasetMissing:
    one = len(missing) == 1
    return DatasetMissing(
        f"MNIST: {', '.join(missing)} {'is' if one else 'are'} not in {config.data_dir() / 'mnist'}"
        f"{why}. Get {'it' if one else 'them'} from {URLS[0]}"
        f"{f' (or the mirror {URLS[1]})' if len(URLS) > 1 else ''} and put "
        f"{'it' if one else 'them'} in that folder, or set HWLAB_DATA_DIR to a folder that has mnist/.")


class MNIST(Source):
    can_download = True

    def present(self, fname: str) -> bool:
        return _local(fname) is not None

    def state(self, present, missing):
        if not missing:
            return "complete", True, "official train and test sets"
        return "missing", False, f"downloaded from the official address on first use (about {sum(SIZES.values()) / 1e6:.0f} MB)"

    def download_size_mb(self) -> Optional[float]:
        return sum(SIZES[f] for f in MD5 if _local(f) is None) / 1e6

    def fetch(self, progress: ProgressCallback = None) -> None:
        missing = [f for f in MD5 if _local(f) is None]
        total = sum(SIZES[f] for f in missing)
        offset = 0
        for f in missing:
            try:
                download([u + f for u in URLS], config.download_dir() / "mnist" / f, "md5:" + MD5[f],
                         shifted(progress, offset, total))
            except DownloadError as exc:
                raise _missing_error([m for m in missing if _local(m) is None],
                                     f", and downloading failed ({exc})") from None
            offset += SIZES[f]

    def load(self, progress: ProgressCallback = None, download: bool = True) -> Dataset:
        missing = [f for f in MD5 if _local(f) is None]
        if missing:
            if not download:
                raise _missing_error(missing)
            self.fetch(progress)
        files = [_local(f) for f in MD5]  # decoded once, then read back from the cache (decoded.py)
        arr = decoded.arrays("mnist", files, lambda: {f: parse_idx(p.read_bytes()) for f, p in zip(MD5, files)})
        train = Split(arr["train-images-idx3-ubyte.gz"], arr["train-labels-idx1-ubyte.gz"].astype(np.int64))
        test = Split(arr["t10k-images-idx3-ubyte.gz"], arr["t10k-labels-idx1-ubyte.gz"].astype(np.int64))
        return Dataset(self.name, self.title, DIGITS, check_split(train, 10, "MNIST train"),
                       check_split(test, 10, "MNIST test"),
                       "official MNIST split: 60,000 training and 10,000 test images", "mnist")


SOURCES = [MNIST("mnist", "MNIST digits", "mnist", tuple(f"mnist/{f}" for f in MD5), URLS[0])]
