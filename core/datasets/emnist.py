"""EMNIST: every split from its loose IDX files, the extracted gzip/ folder or NIST's gzip.zip (downloaded
on first use). A split whose training files are absent is re-split from its test files; letters, digits
and balanced are derived from the byclass / bymerge test files when their own files are absent. Byclass
and bymerge can borrow each other's test images as extra training data (`sibling_images`)."""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Optional

import numpy as np

from .. import config
from .download import download
from ..progress import ProgressCallback
from ..errors import DatasetMissing, DownloadError
from .idx import parse_idx
from .base import DIGITS, LOWER, RESPLIT_TEST_FRACTION, UPPER, Dataset, Source, Split, check_split, find, \
    folders, image_keys, resplit

URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
MD5 = "58c8d27c78d21e728a6bc7b3cc06412e"
ZIP_MB = 562  # about; the server says exactly

MERGED_LOWER = list("abdefghnqrt")  # the lower-case letters that bymerge/balanced keep apart from upper case
CLASSES = {  # the class tables of Cohen et al. (2017), the same as the mapping files
    "byclass": DIGITS + UPPER + LOWER,
    "bymerge": DIGITS + UPPER + MERGED_LOWER,
    "balanced": DIGITS + UPPER + MERGED_LOWER,
    "digits": list(DIGITS),
    "mnist": list(DIGITS),
    "letters": list(UPPER),  # labels 1..26 in the files (mapping `1 65 97` = A/a), 0..25 here
}
DERIVED_FROM = {"letters": "byclass", "digits": "byclass", "balanced": "bymerge"}
SIBLING = {"byclass": "bymerge", "bymerge": "byclass"}
TITLES = {
    "balanced": "EMNIST Balanced (47 classes)", "byclass": "EMNIST ByClass (62 classes)",
    "bymerge": "EMNIST ByMerge (47 classes)", "digits": "EMNIST Digits", "letters": "EMNIST Letters (26 classes)",
    "mnist": "EMNIST MNIST (EMNIST's own digits)",
}


# ---------------------------------------------------------------- reading the files
def _zips() -> list[Path]:
    out = []
    for base in folders():
        for z in (base / "emnist" / "gzip.zip", base / "gzip.zip"):
            if z not in out:
                out.append(z)
    return out


def _member(fname: str, read: bool = True):
    """One EMNIST file from the loose files, the extracted gzip/ folder or NIST's gzip.zip: its bytes,
    or (read=False) just whether it is there."""
    p = find([f"emnist/{fname}", f"emnist/gzip/{fname}", f"gzip/{fname}", fname])
    if p is not None:
        return p.read_bytes() if read else True
    for z in _zips():
        if z.is_file():
            try:
                with zipfile.ZipFile(z) as zf:
                    names = set(zf.namelist())
                    for member in (f"gzip/{fname}", fname):
                        if member in names:
                            return zf.read(member) if read else True
            except zipfile.BadZipFile:
                raise DatasetMissing(f"{z} is not a valid zip file (an interrupted copy?): delete it and download "
                                     f"NIST's gzip.zip again from {URL}.") from None
    return None


def _mapping(split: str) -> list[str]:
    """The class names of a split: from its mapping file (`label ascii` a line) when present, else the
    published table (the same)."""
    raw = _member(f"emnist-{split}-mapping.txt")
    if split == "letters" or raw is None:
        return list(CLASSES[split])
    rows = [line.split() for line in raw.decode().splitlines() if line.strip()]
    return [chr(int(r[1])) for r in sorted(rows, key=lambda r: int(r[0]))]


def _part(split: str, part: str) -> Optional[Split]:
    xi = _member(f"emnist-{split}-{part}-images-idx3-ubyte.gz")
    yi = _member(f"emnist-{split}-{part}-labels-idx1-ubyte.gz")
    if xi is None or yi is None:
        return None
    x = parse_idx(xi).transpose(0, 2, 1)  # NIST stores them transposed
    y = parse_idx(yi).astype(np.int64)
    if split == "letters":
        if len(y) and y.min() < 1:
            raise DatasetMissing(f"EMNIST letters {part}: labels must be 1..26 (the official files), found {y.min()}.")
        y = y - 1  # labels 1..26 -> 0..25 (no dead class 0)
    return check_split(Split(np.ascontiguousarray(x), y), len(CLASSES[split]), f"EMNIST {split} {part}")


def _present(split: str, part: str) -> bool:
    return all(_member(f"emnist-{split}-{part}-{k}-idx{n}-ubyte.gz", False) for k, n in (("images", 3), ("labels", 1)))


def _usable(split: str) -> bool:
    derive = DERIVED_FROM.get(split)
    return _present(split, "test") or bool(derive and _present(derive, "test"))


# ---------------------------------------------------------------- the source
class EMNIST(Source):
    can_download = True

    @property
    def split(self) -> str:
        return self.name.removeprefix("emnist-")

    def _missing_error(self, why: str = "") -> DatasetMissing:
        derive = DERIVED_FROM.get(self.split)
        files = ", ".join(f.split("/")[-1] for f in self.files)
        what = (f"neither its files ({files}) nor the {derive} test files it can be derived from are there" if derive
                else f"its files ({files}) are not there")
        return DatasetMissing(
            f"{self.title} is not in {config.data_dir() / 'emnist'}{why}: {what}. Download NIST's "
            f"gzip.zip (about {ZIP_MB} MB) from {URL} into that folder, or set HWLAB_DATA_DIR to a "
            f"folder that has emnist/.")

    def present(self, fname: str) -> bool:
        return bool(_member(fname, False))

    def on_disk(self) -> bool:
        return super().on_disk() or _usable(self.split)

    def state(self, present, missing):
        split, derive = self.split, DERIVED_FROM.get(self.split)
        if not missing:
            return "complete", True, "official train and test sets"
        if _present(split, "test"):
            return "partial", True, (
                f"test files only: a seeded re-split of them serves training ({int(RESPLIT_TEST_FRACTION * 100)}% "
                f"held out as test); download NIST's gzip.zip for the official training files")
        if derive and _present(derive, "test"):
            return "derived", True, (f"derived from the EMNIST {derive} test files ({split} class layout), re-split "
                                     f"with a seed; download NIST's gzip.zip for the official {split} files")
        return "missing", False, f"downloaded on first use: NIST's gzip.zip, about {ZIP_MB} MB, holds every EMNIST split"

    def download_size_mb(self) -> Optional[float]:
        return 0.0 if any(z.is_file() for z in _zips()) else float(ZIP_MB)

    def fetch(self, progress: ProgressCallback = None) -> None:
        """NIST's gzip.zip, which holds every split, unless one is already here."""
        if any(z.is_file() for z in _zips()):
            return
        try:
            download([URL], config.download_dir() / "emnist" / "gzip.zip", "md5:" + MD5, progress, timeout=60.0)
        except DownloadError as exc:
            raise self._missing_error(f", and downloading failed ({exc})") from None

    def _official(self) -> Optional[Dataset]:
        split = self.split
        test = _part(split, "test")
        if test is None:
            return None
        classes = _mapping(split)
        train = _part(split, "train")
        if train is not None:
            return Dataset(self.name, self.title, classes, train, test,
                           f"official EMNIST {split} split: {len(train):,} training and {len(test):,} test images",
                           "emnist")
        tr, te, prov = resplit(test.x, test.y, f"the official EMNIST {split} test images")
        return Dataset(self.name, self.title, classes, tr, te, prov, "emnist",
                       notes=[f"The EMNIST {split} training files are absent: trained on a re-split of its test files."])

    def load(self, progress: ProgressCallback = None, download: bool = True) -> Dataset:
        split = self.split
        if download and not _usable(split):
            self.fetch(progress)
        ds = self._official()
        if ds is not None:
            return ds
        # Derived from the byclass / bymerge files when a split's own files are absent.
        derive = DERIVED_FROM.get(split)
        base = _part(derive, "test") if derive else None
        if base is None:
            raise self._missing_error()
        x, y = base.x, base.y
        if split == "letters":  # byclass 10..35 = A..Z, 36..61 = a..z; merged case like EMNIST letters
            keep = y >= 10
            x, y, classes = x[keep], (y[keep] - 10) % 26, UPPER
        elif split == "digits":
            keep = y < 10
            x, y, classes = x[keep], y[keep], DIGITS
        else:
            classes = _mapping(derive)
        tr, te, prov = resplit(x, y, f"the EMNIST {derive} test images ({split} class layout)")
        return Dataset(self.name, self.title, list(classes), tr, te, prov, "emnist",
                       notes=[f"The EMNIST {split} files are absent: derived from the {derive} test files."])


def _files(split: str) -> tuple[str, ...]:
    return tuple(f"emnist/emnist-{split}-{p}-{k}-idx{n}-ubyte.gz" for p in ("train", "test")
                 for k, n in (("images", 3), ("labels", 1)))


SOURCES = [EMNIST(f"emnist-{k}", t, "emnist", _files(k), URL) for k, t in TITLES.items()]


# ---------------------------------------------------------------- the sibling layout's images
def _relabel(label: str, source: list[str], target: list[str]) -> Optional[int]:
    """A label of the `source` layout as an index into `target`: the same character, else its merged
    upper case; None when it is ambiguous there (bymerge's C holds both of byclass's C and c)."""
    if label.isupper() and label.lower() not in source and label.lower() in target:
        return None
    if label in target:
        return target.index(label)
    return target.index(label.upper()) if label.upper() in target else None


def sibling_images(ds: Dataset) -> tuple[Optional[Split], str]:
    """Extra training images for EMNIST byclass / bymerge: the other layout's test file holds mostly
    different images (about 16k of 116k are shared). They are relabelled into ds's classes (byclass ->
    bymerge is exact; bymerge -> byclass keeps only the unambiguous labels), and every image that is in
    ds's held-out test set, or already in its training set, is left out, so the held-out figure stays
    honest. Returns (None, reason) when there is no sibling file."""
    split = ds.name.removeprefix("emnist-")
    other = SIBLING.get(split)
    sib = _part(other, "test") if other else None
    if sib is None:
        return None, f"no EMNIST sibling test file for {ds.name}"
    classes = _mapping(other)
    lut = np.array([-1 if (t := _relabel(c, classes, ds.classes)) is None else t for c in classes])
    seen = image_keys(ds.test.x) | image_keys(ds.train.x)
    y = lut[sib.y]
    keep = np.array([t >= 0 and x.tobytes() not in seen for x, t in zip(sib.x, y)], dtype=bool)
    note = (f"plus {int(keep.sum()):,} images of the EMNIST {other} test file relabelled into the {split} "
            f"classes (images in the held-out test set or already in training left out)")
    return Split(sib.x[keep], y[keep]), note
