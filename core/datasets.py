"""Every dataset by name -> upright uint8 images (N, 28, 28), integer labels and class names.

Files are looked up in HWLAB_DATA_DIR (see config.py), laid out like the official downloads, and then
in the download cache (config.download_dir(), the same folder when it is writable):
    mnist/train-images-idx3-ubyte.gz ...            (or the same files directly in the folder, gzipped or not)
    emnist/emnist-<split>-<part>-idx3-ubyte.gz ...  (or emnist/gzip/..., or NIST's emnist/gzip.zip)
    kaggle-digit-recognizer/train.csv, test.csv     (see kaggle.py)
A split whose training files are absent but whose test files are present is re-split with a
fixed seed (stratified, 20% held out as test); its provenance says so. EMNIST letters, digits and
balanced are derived from the byclass / bymerge test files when their own files are absent.

`load(name)` downloads what is missing where that is possible (MNIST: its four files; EMNIST: NIST's
gzip.zip) with a progress callback and checksum; `load(name, download=False)` never does, and
`fetch(name)` only downloads. `file_status(name)` says what is present, missing and where to get it.
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
VALIDATION_FRACTION = 0.1  # the training pipeline's default (training.Settings.validation_fraction)

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
MNIST_SIZES = {"train-images-idx3-ubyte.gz": 9912422, "train-labels-idx1-ubyte.gz": 28881,
               "t10k-images-idx3-ubyte.gz": 1648877, "t10k-labels-idx1-ubyte.gz": 4542}
EMNIST_URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
EMNIST_MD5 = "58c8d27c78d21e728a6bc7b3cc06412e"
EMNIST_ZIP_MB = 562  # about; the server says exactly
KAGGLE_URL = "https://www.kaggle.com/competitions/digit-recognizer/data"

DIGITS = [str(i) for i in range(10)]
UPPER = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
LOWER = [chr(c) for c in range(ord("a"), ord("z") + 1)]
MERGED_LOWER = list("abdefghnqrt")  # the lower-case letters that bymerge/balanced keep apart from upper case
EMNIST_CLASSES = {  # the class tables of Cohen et al. (2017), the same as the mapping files
    "byclass": DIGITS + UPPER + LOWER,
    "bymerge": DIGITS + UPPER + MERGED_LOWER,
    "balanced": DIGITS + UPPER + MERGED_LOWER,
    "digits": list(DIGITS),
    "mnist": list(DIGITS),
    "letters": list(UPPER),  # labels 1..26 in the files (mapping `1 65 97` = A/a), 0..25 here
}
EMNIST_DERIVED_FROM = {"letters": "byclass", "digits": "byclass", "balanced": "bymerge"}


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
    loader: Callable[..., Dataset]  # (spec, progress, download) -> Dataset


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


def _folders() -> list[Path]:
    """The data folder, then the download cache when it is another folder."""
    out = [config.data_dir()]
    d = config.download_dir()
    if d not in out:
        out.append(d)
    return out


def _find(names: list[str]) -> Optional[Path]:
    for base in _folders():
        for n in names:
            p = base / n
            if p.is_file():
                return p
    return None


def _check(split: Split, n_classes: int, what: str) -> Split:
    """A corrupt or mismatched file is said as such, not left to fail later."""
    x, y = split.x, split.y
    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
        raise DatasetMissing(f"{what}: the images file does not hold 28x28 uint8 images (shape {x.shape}); "
                             f"it is damaged or not the official file.")
    if len(x) != len(y):
        raise DatasetMissing(f"{what}: {len(x):,} images but {len(y):,} labels; the files do not belong together.")
    if len(y) and (y.min() < 0 or y.max() >= n_classes):
        raise DatasetMissing(f"{what}: labels run {y.min()}..{y.max()}, outside the {n_classes} classes "
                             f"0..{n_classes - 1}; the file is damaged or not the official one.")
    return split


def validation_count(n_train: int, fraction: float = VALIDATION_FRACTION) -> int:
    """How many training images the training pipeline holds out for validation (as training.py does)."""
    if fraction > 0 and n_train >= 20:
        return max(1, int(round(n_train * fraction)))
    return 0


def counts(ds: Dataset, validation_fraction: float = VALIDATION_FRACTION) -> dict:
    """Images used for training, validation (held out from train by the training pipeline) and test."""
    v = validation_count(len(ds.train), validation_fraction)
    return {"train": len(ds.train) - v, "validation": v, "test": len(ds.test)}


def class_counts(split: Split, n_classes: int) -> np.ndarray:
    return np.bincount(split.y, minlength=n_classes)[:n_classes]


def sample_indices(y: np.ndarray, n_classes: int, per_class: int, seed: int) -> list[np.ndarray]:
    """For each class, up to `per_class` random indices of its images (fewer where it has fewer)."""
    rng = np.random.default_rng(seed)
    order = np.argsort(y, kind="stable")
    starts = np.searchsorted(y[order], np.arange(n_classes + 1))
    out = []
    for c in range(n_classes):
        members = order[starts[c]:starts[c + 1]]
        k = min(per_class, len(members))
        out.append(np.sort(rng.choice(members, k, replace=False)) if k else np.zeros(0, np.int64))
    return out


# ---------------------------------------------------------------- MNIST
def _mnist_local(fname: str) -> Optional[Path]:
    return _find([f"mnist/{fname}", fname, f"mnist/{fname[:-3]}", fname[:-3]])


def _mnist_missing(missing: list[str], why: str = "") -> DatasetMissing:
    return DatasetMissing(
        f"MNIST: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not in {config.data_dir() / 'mnist'}"
        f"{why}. Get {'it' if len(missing) == 1 else 'them'} from {MNIST_URLS[0]}"
        f"{f' (or the mirror {MNIST_URLS[1]})' if len(MNIST_URLS) > 1 else ''} and put "
        f"{'it' if len(missing) == 1 else 'them'} in that folder, or set HWLAB_DATA_DIR to a folder that has mnist/.")


def _fetch_mnist(progress: Progress) -> None:
    missing = [f for f in MNIST_MD5 if _mnist_local(f) is None]
    if not missing:
        return
    total = sum(MNIST_SIZES[f] for f in missing)
    offset = 0
    for f in missing:
        step = None if progress is None else (lambda d, t, o=offset: progress(o + d, total))
        try:
            download([u + f for u in MNIST_URLS], config.download_dir() / "mnist" / f, "md5:" + MNIST_MD5[f], step)
        except DownloadError as exc:
            raise _mnist_missing([m for m in missing if _mnist_local(m) is None],
                                 f", and downloading failed ({exc})") from None
        offset += MNIST_SIZES[f]


def _load_mnist(spec: Spec, progress: Progress, allow_download: bool = True) -> Dataset:
    missing = [f for f in MNIST_MD5 if _mnist_local(f) is None]
    if missing:
        if not allow_download:
            raise _mnist_missing(missing)
        _fetch_mnist(progress)
    arr = {f: parse_idx(_mnist_local(f).read_bytes()) for f in MNIST_MD5}
    train = Split(arr["train-images-idx3-ubyte.gz"], arr["train-labels-idx1-ubyte.gz"].astype(np.int64))
    test = Split(arr["t10k-images-idx3-ubyte.gz"], arr["t10k-labels-idx1-ubyte.gz"].astype(np.int64))
    return Dataset(spec.name, spec.title, DIGITS, _check(train, 10, "MNIST train"), _check(test, 10, "MNIST test"),
                   "official MNIST split: 60,000 training and 10,000 test images", "mnist")


# ---------------------------------------------------------------- EMNIST
def _emnist_zips() -> list[Path]:
    out = []
    for base in _folders():
        for z in (base / "emnist" / "gzip.zip", base / "gzip.zip"):
            if z not in out:
                out.append(z)
    return out


def _emnist_member(fname: str, read: bool = True):
    """One EMNIST file from the loose files, the extracted gzip/ folder or NIST's gzip.zip: its bytes,
    or (read=False) just whether it is there."""
    p = _find([f"emnist/{fname}", f"emnist/gzip/{fname}", f"gzip/{fname}", fname])
    if p is not None:
        return p.read_bytes() if read else True
    for z in _emnist_zips():
        if z.is_file():
            try:
                with zipfile.ZipFile(z) as zf:
                    names = set(zf.namelist())
                    for member in (f"gzip/{fname}", fname):
                        if member in names:
                            return zf.read(member) if read else True
            except zipfile.BadZipFile:
                raise DatasetMissing(f"{z} is not a valid zip file (an interrupted copy?): delete it and download "
                                     f"NIST's gzip.zip again from {EMNIST_URL}.") from None
    return None


def _emnist_mapping(split: str) -> list[str]:
    """The class names of a split: from its mapping file (`label ascii` a line) when present, else the
    published table (the same)."""
    raw = _emnist_member(f"emnist-{split}-mapping.txt")
    if split == "letters" or raw is None:
        return list(EMNIST_CLASSES[split])
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
        if len(y) and y.min() < 1:
            raise DatasetMissing(f"EMNIST letters {part}: labels must be 1..26 (the official files), found {y.min()}.")
        y = y - 1  # labels 1..26 -> 0..25 (no dead class 0)
    return _check(Split(np.ascontiguousarray(x), y), len(EMNIST_CLASSES[split]), f"EMNIST {split} {part}")


def _emnist_present(split: str, part: str) -> bool:
    return all(_emnist_member(f"emnist-{split}-{part}-{k}-idx{n}-ubyte.gz", False)
               for k, n in (("images", 3), ("labels", 1)))


def _emnist_missing(spec: Spec, why: str = "") -> DatasetMissing:
    split = spec.name.removeprefix("emnist-")
    derive = EMNIST_DERIVED_FROM.get(split)
    alt = f" (nor the {derive} test files it can be derived from)" if derive else ""
    files = ", ".join(f.split("/")[-1] for f in spec.files)
    return DatasetMissing(
        f"{spec.title}: its files ({files}){alt} are not in {config.data_dir() / 'emnist'}{why}. Download NIST's "
        f"gzip.zip (about {EMNIST_ZIP_MB} MB) from {EMNIST_URL} into that folder, or set HWLAB_DATA_DIR to a "
        f"folder that has emnist/.")


def _fetch_emnist(progress: Progress) -> Path:
    for z in _emnist_zips():
        if z.is_file():
            return z
    dest = config.download_dir() / "emnist" / "gzip.zip"
    download([EMNIST_URL], dest, "md5:" + EMNIST_MD5, progress, timeout=60.0)
    return dest


def _emnist_official(spec: Spec, split: str) -> Optional[Dataset]:
    test = _emnist_part(split, "test")
    if test is None:
        return None
    classes = _emnist_mapping(split)
    train = _emnist_part(split, "train")
    if train is not None:
        return Dataset(spec.name, spec.title, classes, train, test,
                       f"official EMNIST {split} split: {len(train):,} training and {len(test):,} test images", "emnist")
    tr, te, prov = _resplit(test.x, test.y, f"the official EMNIST {split} test images")
    return Dataset(spec.name, spec.title, classes, tr, te, prov, "emnist",
                   notes=[f"The EMNIST {split} training files are absent: trained on a re-split of its test files."])


EMNIST_SIBLING = {"byclass": "bymerge", "bymerge": "byclass"}


def _relabel(label: str, source: list[str], target: list[str]) -> Optional[int]:
    """A label of the `source` layout as an index into `target`: the same character, else its merged
    upper case; None when it is ambiguous there (bymerge's C holds both of byclass's C and c)."""
    if label.isupper() and label.lower() not in source and label.lower() in target:
        return None
    if label in target:
        return target.index(label)
    return target.index(label.upper()) if label.upper() in target else None


def image_keys(x: np.ndarray) -> set[bytes]:
    """Each image's bytes, to tell which images two sets share (exact copies)."""
    return {im.tobytes() for im in x}


def emnist_sibling_images(ds: Dataset) -> tuple[Optional[Split], str]:
    """Extra training images for EMNIST byclass / bymerge: the other layout's test file holds mostly
    different images (about 16k of 116k are shared). They are relabelled into ds's classes (byclass ->
    bymerge is exact; bymerge -> byclass keeps only the unambiguous labels), and every image that is in
    ds's held-out test set, or already in its training set, is left out, so the held-out figure stays
    honest. Returns (None, reason) when there is no sibling file."""
    split = ds.name.removeprefix("emnist-")
    other = EMNIST_SIBLING.get(split)
    sib = _emnist_part(other, "test") if other else None
    if sib is None:
        return None, f"no EMNIST sibling test file for {ds.name}"
    classes = _emnist_mapping(other)
    lut = np.array([-1 if (t := _relabel(c, classes, ds.classes)) is None else t for c in classes])
    seen = image_keys(ds.test.x) | image_keys(ds.train.x)
    y = lut[sib.y]
    keep = np.array([t >= 0 and x.tobytes() not in seen for x, t in zip(sib.x, y)], dtype=bool)
    note = (f"plus {int(keep.sum()):,} images of the EMNIST {other} test file relabelled into the {split} "
            f"classes (images in the held-out test set or already in training left out)")
    return Split(sib.x[keep], y[keep]), note


def _emnist_usable(split: str) -> bool:
    derive = EMNIST_DERIVED_FROM.get(split)
    return _emnist_present(split, "test") or bool(derive and _emnist_present(derive, "test"))


def on_disk(name: str) -> bool:
    """Whether a dataset can be read from disk now, without a download (decides 'evaluate afresh')."""
    if name not in DATASETS:
        return False
    if name == "class-drawings":
        return file_status(name)["usable"]
    if name == "sklearn-digits" or not file_status(name)["missing"]:
        return True
    return name.startswith("emnist-") and _emnist_usable(name.removeprefix("emnist-"))


def _load_emnist(spec: Spec, progress: Progress, allow_download: bool = True) -> Dataset:
    split = spec.name.removeprefix("emnist-")
    if allow_download and not _emnist_usable(split):
        try:
            _fetch_emnist(progress)
        except DownloadError as exc:
            raise _emnist_missing(spec, f", and downloading failed ({exc})") from None
    ds = _emnist_official(spec, split)
    if ds is not None:
        return ds
    # Derived from the byclass / bymerge files when a split's own files are absent.
    derive = EMNIST_DERIVED_FROM.get(split)
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
    return Dataset(spec.name, spec.title, list(classes), tr, te, prov, "emnist",
                   notes=[f"The EMNIST {split} files are absent: derived from the {derive} test files."])


# ---------------------------------------------------------------- scikit-learn digits
def _load_sklearn(spec: Spec, progress: Progress, allow_download: bool = True) -> Dataset:
    from sklearn.datasets import load_digits

    from .preprocess import to_model_input

    d = load_digits()
    ink = d.images.astype(np.float32) / 16.0  # 8x8, values 0..16
    x = np.stack([(to_model_input(im, "mnist", threshold=0.05)[0, ..., 0] * 255).round().astype(np.uint8)
                  for im in ink])
    y = d.target.astype(np.int64)
    tr, te, prov = _resplit(x, y, "scikit-learn's 1,797 8x8 digits (upscaled into MNIST's 20x20 box)")
    return Dataset(spec.name, spec.title, DIGITS, tr, te, prov, "mnist",
                   notes=["Bundled with scikit-learn: always available, offline. 8x8 pictures with 17 grey levels, "
                          "upscaled to 28x28, so they look blurrier than MNIST."])


def _kaggle_loader(spec: Spec, progress: Progress, allow_download: bool = True) -> Dataset:
    from .kaggle import load_dataset  # CSV parsing and validation live there

    return load_dataset(spec)


def _class_loader(spec: Spec, progress: Progress, allow_download: bool = True) -> Dataset:
    from .classroom import dataset  # the class database's drawings (core/classroom/dataset.py)

    return dataset.load(spec, progress, allow_download)


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
                  _load_mnist),
    **{f"emnist-{k}": Spec(f"emnist-{k}", t, "emnist", _emnist_files(k), EMNIST_URL, _load_emnist)
       for k, t in _EMNIST_TITLES.items()},
    "kaggle-digit-recognizer": Spec("kaggle-digit-recognizer", "Kaggle Digit Recognizer (CSV)", "mnist",
                                    ("kaggle-digit-recognizer/train.csv", "kaggle-digit-recognizer/test.csv"),
                                    KAGGLE_URL, _kaggle_loader),
    "sklearn-digits": Spec("sklearn-digits", "scikit-learn digits (8x8, upscaled)", "mnist", (),
                           "bundled with scikit-learn", _load_sklearn),
    "class-drawings": Spec("class-drawings", "The class's drawings", "mnist", (), "the class database",
                           _class_loader),
}


def spec(name: str) -> Spec:
    if name not in DATASETS:
        raise DatasetMissing(f"Unknown dataset {name!r}. Known: {', '.join(DATASETS)}.")
    return DATASETS[name]


def load(name: str, progress: Progress = None, download: bool = True) -> Dataset:
    """The dataset called `name` (see DATASETS). With download=True (the default) what is missing is
    downloaded where that is possible, reporting progress(bytes done, total bytes or None)."""
    s = spec(name)
    return s.loader(s, progress, download)


def can_download(name: str) -> bool:
    """Whether `fetch` can get this dataset's official files (MNIST and EMNIST; not Kaggle, which needs a login)."""
    return name == "mnist" or name.startswith("emnist-")


def download_size_mb(name: str) -> Optional[float]:
    """About how many MB `fetch(name)` would download now (0 when nothing is missing), None if it cannot."""
    if name == "mnist":
        return sum(MNIST_SIZES[f] for f in MNIST_MD5 if _mnist_local(f) is None) / 1e6
    if name.startswith("emnist-"):
        return 0.0 if any(z.is_file() for z in _emnist_zips()) else float(EMNIST_ZIP_MB)
    return None


def fetch(name: str, progress: Progress = None) -> None:
    """Download the official files of a dataset into the download cache (checksum verified; an interrupted
    or failed download leaves no file). MNIST: the missing IDX files; EMNIST: NIST's gzip.zip, which holds
    every split. Raises DatasetMissing (with the folder and the address) when it cannot."""
    s = spec(name)
    if name == "mnist":
        _fetch_mnist(progress)
    elif name.startswith("emnist-"):
        try:
            _fetch_emnist(progress)
        except DownloadError as exc:
            raise _emnist_missing(s, f", and downloading failed ({exc})") from None
    elif name == "kaggle-digit-recognizer":
        from .kaggle import missing_message

        raise DatasetMissing(missing_message())


def file_status(name: str) -> dict:
    """What of a dataset is here and what is not: files present and missing, whether it can be used and how,
    the folder, and where to get the rest."""
    s = spec(name)
    if name == "class-drawings":
        from .classroom import dataset

        return dataset.file_status()
    present, missing = [], []
    for f in s.files:
        base = f.split("/")[-1]
        if name == "mnist":
            found = _mnist_local(base) is not None
        elif name.startswith("emnist-"):
            found = bool(_emnist_member(base, False))
        else:
            from . import kaggle

            found = kaggle.find(base.removesuffix(".csv")) is not None
        (present if found else missing).append(f)
    folder = config.data_dir() / (s.files[0].split("/")[0] if s.files else "")
    download_how = "automatic" if can_download(name) else ("none needed" if not s.files else "manual")
    if name == "sklearn-digits":
        state, usable, how = "bundled", True, "bundled with scikit-learn: always available, offline"
    elif not missing:
        state, usable = "complete", True
        how = ("official train and test sets" if name != "kaggle-digit-recognizer" else
               "train.csv re-split for a labelled test set; test.csv for submissions")
    elif name == "mnist":
        state, usable = "missing", False
        how = "downloaded from the official address on first use (about 11 MB)"
    elif name.startswith("emnist-"):
        split = name.removeprefix("emnist-")
        derive = EMNIST_DERIVED_FROM.get(split)
        if _emnist_present(split, "test"):
            state, usable = "partial", True
            how = (f"test files only: a seeded re-split of them serves training ({int(RESPLIT_TEST_FRACTION * 100)}% "
                   f"held out as test); download NIST's gzip.zip for the official training files")
        elif derive and _emnist_present(derive, "test"):
            state, usable = "derived", True
            how = (f"derived from the EMNIST {derive} test files ({split} class layout), re-split with a seed; "
                   f"download NIST's gzip.zip for the official {split} files")
        else:
            state, usable = "missing", False
            how = f"downloaded on first use: NIST's gzip.zip, about {EMNIST_ZIP_MB} MB, holds every EMNIST split"
    else:  # Kaggle
        train_ok = f"{s.files[0]}" in present
        state, usable = ("partial", True) if train_ok else ("missing", False)
        how = ("train.csv present (re-split for a labelled test set); add test.csv to export a submission"
               if train_ok else f"Kaggle needs a login: download train.csv and test.csv from {KAGGLE_URL}, then "
                                f"upload them on the Datasets page or put them in {folder}")
    return {"name": s.name, "title": s.title, "state": state, "usable": usable, "how": how,
            "present": present, "missing": missing, "folder": str(folder), "data_dir": str(config.data_dir()),
            "source": s.source, "download": download_how}
