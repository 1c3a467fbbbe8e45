"""Every dataset by name -> upright uint8 images (N, 28, 28), integer labels and class names.

Files are looked up in HWLAB_DATA_DIR (see config.py), laid out like the official downloads:
    mnist/train-images-idx3-ubyte.gz ...            (or the same files directly in the folder)
    emnist/emnist-<split>-<part>-idx3-ubyte.gz ...  (or emnist/gzip/..., or emnist/gzip.zip)
    kaggle-digit-recognizer/train.csv, test.csv
A split whose training files are absent but whose test files are present is re-split with a
fixed seed (stratified, 20% held out as test); its provenance says so.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from . import config
from .download import Progress, download
from .errors import DatasetMissing, DownloadError
from .idx import parse_idx

RESPLIT_SEED = 0
RESPLIT_TEST_FRACTION = 0.2

MNIST_URLS = [  # the official address first, then the long-standing public mirrors of the same files
    "https://yann.lecun.com/exdb/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
]
MNIST_MD5 = {  # md5 of the official .gz files
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
EMNIST_URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
EMNIST_MD5 = "58c8d27c78d21e728a6bc7b3cc06412e"
KAGGLE_URL = "https://www.kaggle.com/competitions/digit-recognizer/data"

DIGITS = [str(i) for i in range(10)]
UPPER = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
LOWER = [chr(c) for c in range(ord("a"), ord("z") + 1)]


@dataclass
class Split:
    x: np.ndarray  # (N, 28, 28) uint8, white ink on black, upright
    y: np.ndarray  # (N,) int64 class indices

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class Dataset:
    name: str
    title: str
    classes: list[str]
    train: Split
    test: Split
    provenance: str
    style: str = "mnist"  # how drawings must be preprocessed to look like this data
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    style: str
    files: tuple[str, ...]  # files the loader reads (relative to the data folder), for `datasets`
    source: str  # where a user gets them
    loader: Callable[["Spec", Progress], Dataset]


# ---------------------------------------------------------------- helpers
def stratified_split(y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test): each class split in the same proportion, shuffled with `seed`."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(len(idx) * test_fraction))
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _resplit(x, y, what: str) -> tuple[Split, Split, str]:
    tr, te = stratified_split(y, RESPLIT_TEST_FRACTION, RESPLIT_SEED)
    prov = (f"re-split of {what}: {int(RESPLIT_TEST_FRACTION * 100)}% held out as test by stratified sampling "
            f"(numpy seed {RESPLIT_SEED}); figures on it are not comparable with published results on the "
            f"official split")
    return Split(x[tr], y[tr]), Split(x[te], y[te]), prov


def _find(names: list[str]) -> Optional[Path]:
    base = config.data_dir()
    for n in names:
        p = base / n
        if p.is_file():
            return p
    return None


# ---------------------------------------------------------------- MNIST
def _mnist_file(fname: str, progress: Progress, allow_download: bool) -> bytes:
    local = _find([f"mnist/{fname}", fname, f"mnist/{fname[:-3]}", fname[:-3]])
    if local is None:
        cached = config.download_dir() / "mnist" / fname
        if cached.is_file():
            local = cached
        elif allow_download:
            try:
                local = download([u + fname for u in MNIST_URLS], cached, "md5:" + MNIST_MD5[fname], progress)
            except DownloadError as exc:
                raise DatasetMissing(
                    f"MNIST file {fname} is not in {config.data_dir() / 'mnist'} and could not be downloaded "
                    f"({exc}). Get it from {MNIST_URLS[0]} and put it there, or set HWLAB_DATA_DIR to a folder "
                    f"that has mnist/{fname}.") from None
        else:
            raise DatasetMissing(f"MNIST file {fname} is not in {config.data_dir() / 'mnist'}; get it from "
                                 f"{MNIST_URLS[0]}.")
    return local.read_bytes()


def _load_mnist(spec: Spec, progress: Progress, allow_download: bool = True) -> Dataset:
    arr = {f: parse_idx(_mnist_file(f, progress, allow_download)) for f in MNIST_MD5}
    return Dataset(spec.name, spec.title, DIGITS,
                   Split(arr["train-images-idx3-ubyte.gz"], arr["train-labels-idx1-ubyte.gz"].astype(np.int64)),
                   Split(arr["t10k-images-idx3-ubyte.gz"], arr["t10k-labels-idx1-ubyte.gz"].astype(np.int64)),
                   "official MNIST split: 60,000 training and 10,000 test images", "mnist")


# ---------------------------------------------------------------- EMNIST
def _emnist_member(fname: str, read: bool = True):
    """One EMNIST file from the loose files, the extracted gzip/ folder or NIST's gzip.zip: its bytes,
    or (read=False) just whether it is there."""
    p = _find([f"emnist/{fname}", f"emnist/gzip/{fname}", f"gzip/{fname}", fname])
    if p is not None:
        return p.read_bytes() if read else True
    for z in [config.data_dir() / "emnist" / "gzip.zip", config.data_dir() / "gzip.zip",
              config.download_dir() / "emnist" / "gzip.zip"]:
        if z.is_file():
            with zipfile.ZipFile(z) as zf:
                for member in (f"gzip/{fname}", fname):
                    if member in zf.namelist():
                        return zf.read(member) if read else True
    return None


def _emnist_mapping(split: str) -> Optional[list[str]]:
    raw = _emnist_member(f"emnist-{split}-mapping.txt")
    if raw is None:
        return None
    rows = [line.split() for line in raw.decode().splitlines() if line.strip()]
    return [chr(int(r[1])) for r in sorted(rows, key=lambda r: int(r[0]))]


def _emnist_part(split: str, part: str) -> Optional[Split]:
    xi = _emnist_member(f"emnist-{split}-{part}-images-idx3-ubyte.gz")
    yi = _emnist_member(f"emnist-{split}-{part}-labels-idx1-ubyte.gz")
    if xi is None or yi is None:
        return None
    x = parse_idx(xi).transpose(0, 2, 1)  # NIST stores them transposed
    y = parse_idx(yi).astype(np.int64)
    if split == "letters":
        y = y - 1  # labels 1..26 -> 0..25 (no dead class 0)
    return Split(np.ascontiguousarray(x), y)


def _emnist_missing(spec: Spec) -> DatasetMissing:
    return DatasetMissing(
        f"{spec.title}: none of its files ({', '.join(spec.files[:2])}, ...) are in {config.data_dir() / 'emnist'}. "
        f"Download NIST's gzip.zip from {EMNIST_URL} (about 560 MB) into that folder, or set HWLAB_DATA_DIR "
        f"to a folder that has emnist/.")


def _emnist_official(spec: Spec, split: str) -> Optional[Dataset]:
    test = _emnist_part(split, "test")
    if test is None:
        return None
    classes = _emnist_mapping(split) or []
    if split == "letters":
        classes = UPPER
    train = _emnist_part(split, "train")
    if train is not None:
        return Dataset(spec.name, spec.title, classes, train, test, f"official EMNIST {split} split", "emnist")
    tr, te, prov = _resplit(test.x, test.y, f"the official EMNIST {split} test images")
    return Dataset(spec.name, spec.title, classes, tr, te, prov, "emnist",
                   notes=[f"The EMNIST {split} training files are absent: trained on a re-split of its test files."])


def _load_emnist(spec: Spec, progress: Progress) -> Dataset:
    split = spec.name.removeprefix("emnist-")
    ds = _emnist_official(spec, split)
    if ds is not None:
        return ds
    # Derived from the byclass / bymerge files when a split's own files are absent.
    derive = {"letters": "byclass", "digits": "byclass", "balanced": "bymerge"}.get(split)
    base = _emnist_part(derive, "test") if derive else None
    if base is None:
        raise _emnist_missing(spec)
    x, y = base.x, base.y
    if split == "letters":  # byclass 10..35 = A..Z, 36..61 = a..z; merged case like EMNIST letters
        keep = y >= 10
        x, y, classes = x[keep], (y[keep] - 10) % 26, UPPER
    elif split == "digits":
        keep = y < 10
        x, y, classes = x[keep], y[keep], DIGITS
    else:
        classes = _emnist_mapping(derive)
    tr, te, prov = _resplit(x, y, f"the EMNIST {derive} test images ({split} class layout)")
    return Dataset(spec.name, spec.title, classes, tr, te, prov, "emnist",
                   notes=[f"The EMNIST {split} files are absent: derived from the {derive} test files."])


# ---------------------------------------------------------------- scikit-learn digits
def _load_sklearn(spec: Spec, progress: Progress) -> Dataset:
    from sklearn.datasets import load_digits

    from .preprocess import to_model_input

    d = load_digits()
    ink = d.images.astype(np.float32) / 16.0  # 8x8, values 0..16
    x = np.stack([(to_model_input(im, "mnist", threshold=0.05)[0, ..., 0] * 255).round().astype(np.uint8)
                  for im in ink])
    y = d.target.astype(np.int64)
    tr, te, prov = _resplit(x, y, "scikit-learn's 1,797 8x8 digits (upscaled into MNIST's 20x20 box)")
    return Dataset(spec.name, spec.title, DIGITS, tr, te, prov, "mnist")


def _kaggle_loader(spec: Spec, progress: Progress) -> Dataset:
    from .kaggle import load_dataset  # CSV parsing and validation live there

    return load_dataset(spec)


def _emnist_files(split: str) -> tuple[str, ...]:
    return tuple(f"emnist/emnist-{split}-{p}-{k}-idx{n}-ubyte.gz" for p in ("train", "test")
                 for k, n in (("images", 3), ("labels", 1)))


_EMNIST_TITLES = {
    "balanced": "EMNIST Balanced (47 classes)", "byclass": "EMNIST ByClass (62 classes)",
    "bymerge": "EMNIST ByMerge (47 classes)", "digits": "EMNIST Digits", "letters": "EMNIST Letters (26 classes)",
    "mnist": "EMNIST MNIST (EMNIST's own digits)",
}
DATASETS: dict[str, Spec] = {
    "mnist": Spec("mnist", "MNIST digits", "mnist", tuple(f"mnist/{f}" for f in MNIST_MD5), MNIST_URLS[0],
                  lambda s, p: _load_mnist(s, p)),
    **{f"emnist-{k}": Spec(f"emnist-{k}", t, "emnist", _emnist_files(k), EMNIST_URL, _load_emnist)
       for k, t in _EMNIST_TITLES.items()},
    "kaggle-digit-recognizer": Spec("kaggle-digit-recognizer", "Kaggle Digit Recognizer (CSV)", "mnist",
                                    ("kaggle-digit-recognizer/train.csv", "kaggle-digit-recognizer/test.csv"),
                                    KAGGLE_URL, _kaggle_loader),
    "sklearn-digits": Spec("sklearn-digits", "scikit-learn digits (8x8, upscaled)", "mnist", (),
                           "bundled with scikit-learn", _load_sklearn),
}


def spec(name: str) -> Spec:
    if name not in DATASETS:
        raise DatasetMissing(f"Unknown dataset {name!r}. Known: {', '.join(DATASETS)}.")
    return DATASETS[name]


def load(name: str, progress: Progress = None) -> Dataset:
    """The dataset called `name` (see DATASETS), downloading what is missing where that is possible."""
    s = spec(name)
    return s.loader(s, progress)


def file_status(name: str) -> dict:
    """Which of a dataset's files are present in the data folder, which are missing, where to get them."""
    s = spec(name)
    present, missing = [], []
    for f in s.files:
        base = f.split("/")[-1]
        found = _find([f, base]) is not None or (s.name.startswith("emnist") and bool(_emnist_member(base, False)))
        (present if found else missing).append(f)
    return {"name": s.name, "title": s.title, "present": present, "missing": missing,
            "data_dir": str(config.data_dir()), "source": s.source}
