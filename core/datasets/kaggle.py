"""Kaggle's "Digit Recognizer" CSVs as a dataset: reading and validating them, saving uploads, and the
source the registry lists (the submission.csv export lives in core/model/kaggle_submission.py).

train.csv: a header `label,pixel0,...,pixel783`, then one image a row: its digit and its 784 pixels
(28x28, row by row), integers 0..255, white ink on black like MNIST. test.csv: the same without
`label`. Kaggle needs a login, so nothing is downloaded: the user uploads the files (Datasets page)
or puts them in HWLAB_DATA_DIR/kaggle-digit-recognizer/.

Files are read in chunks of CHUNK_ROWS rows, so a large file never sits in memory as text or as a
table of 64-bit numbers; only the uint8 images are kept, and a file of more than MAX_ROWS rows is
refused. A bad file raises BadCSV naming the first bad row or column.
"""
from __future__ import annotations

import io
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional, Union

import numpy as np

from .. import atomic, config
from ..progress import ProgressCallback
from ..errors import BadCSV, DatasetMissing
from .base import DIGITS, Dataset, Source, find as find_file, resplit

FOLDER = "kaggle-digit-recognizer"
URL = "https://www.kaggle.com/competitions/digit-recognizer/data"
PIXELS = [f"pixel{i}" for i in range(784)]
COLUMNS = {"train": ["label"] + PIXELS, "test": PIXELS}
CHUNK_ROWS = 2000  # about 12 MB of int64 per chunk while parsing
MAX_ROWS = 250_000  # about 200 MB of uint8 images; Kaggle's train.csv has 42,000 rows, test.csv 28,000
MAX_HEADER_BYTES = 1 << 16

Readable = Union[str, os.PathLike, bytes, BinaryIO]  # a path, bytes or a binary file object


@dataclass
class KaggleCSV:
    kind: str  # "train" or "test"
    x: np.ndarray  # (N, 28, 28) uint8
    y: Optional[np.ndarray]  # (N,) int64 for train.csv, None for test.csv

    def __len__(self) -> int:
        return len(self.x)


# ---------------------------------------------------------------- reading and validation
def _open(source: Readable) -> tuple[BinaryIO, bool]:
    """A binary stream over `source` and whether we opened it (and must close it)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), True
    if isinstance(source, (str, os.PathLike)):
        try:
            return open(source, "rb"), True
        except OSError as exc:
            raise BadCSV(f"Cannot read {source}: {exc.strerror or exc}.") from None
    if hasattr(source, "seek"):
        source.seek(0)
    return source, False


def _header(stream: BinaryIO, name: str) -> list[str]:
    raw = stream.readline(MAX_HEADER_BYTES)
    if not raw.strip():
        if not raw and not stream.read(1):
            raise BadCSV(f"{name} is empty.")
        raise BadCSV(f"{name}: the first line is blank; it must be the header (label,pixel0,...,pixel783).")
    if not raw.endswith(b"\n") and len(raw) >= MAX_HEADER_BYTES:
        raise BadCSV(f"{name}: the first line is longer than {MAX_HEADER_BYTES} bytes: it is not a header row "
                     f"of column names (label,pixel0,...,pixel783).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadCSV(f"{name} is not a text CSV file (its first line is not UTF-8 text).") from None
    return [c.strip().strip('"').strip("'").strip() for c in text.rstrip("\r\n").split(",")]


def check_header(cols: list[str], kind: Optional[str], name: str) -> str:
    """The kind ("train"/"test") of a file with these column names; BadCSV naming the first bad column."""
    if kind not in (None, "train", "test"):
        raise ValueError(f"kind must be 'train', 'test' or None, not {kind!r}")
    if all(re.fullmatch(r"-?\d+(\.\d*)?", c) for c in cols):
        raise BadCSV(f"{name}: the first line is numbers, not column names: the file needs the header row "
                     f"{'label,' if kind != 'test' else ''}pixel0,...,pixel783.")
    has_label = "label" in cols
    if kind is None:
        kind = "train" if has_label else "test"
    if kind == "test" and has_label:
        raise BadCSV(f"{name} has a 'label' column: that is a train.csv, not a test.csv.")
    if kind == "train" and not has_label:
        hint = " It looks like a test.csv." if cols == PIXELS else ""
        raise BadCSV(f"{name} has no 'label' column, which a train.csv needs as its first column.{hint}")
    expected = COLUMNS[kind]
    seen = set()
    for i, c in enumerate(cols):
        if c in seen:
            raise BadCSV(f"{name}: column {i + 1} '{c}' appears twice in the header.")
        seen.add(c)
    want = set(expected)
    extra = [(i, c) for i, c in enumerate(cols) if c not in want]
    if extra:
        i, c = extra[0]
        more = f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""
        shown = f"'{c}'" if c else "with an empty name"
        raise BadCSV(f"{name}: column {i + 1} {shown} is not expected{more}; a {kind}.csv has exactly the columns "
                     f"{'label, ' if kind == 'train' else ''}pixel0 ... pixel783.")
    missing = [c for c in expected if c not in seen]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise BadCSV(f"{name}: column '{missing[0]}' is missing{more}; a {kind}.csv has exactly the columns "
                     f"{'label, ' if kind == 'train' else ''}pixel0 ... pixel783.")
    for i, (c, e) in enumerate(zip(cols, expected)):
        if c != e:
            raise BadCSV(f"{name}: column {i + 1} is '{c}' where '{e}' belongs: the columns must come in the order "
                         f"{'label, ' if kind == 'train' else ''}pixel0 ... pixel783.")
    return kind


def _first_bad(chunk, cols: list[str], kind: str):
    """(row in chunk, column index, reason) of the first bad cell of a parsed chunk, or None."""
    import pandas as pd

    n = chunk.shape[0]
    lo = np.zeros(len(cols))
    hi = np.full(len(cols), 255.0)
    if kind == "train":
        hi[0] = 9
    if all(pd.api.types.is_integer_dtype(t) for t in chunk.dtypes):
        vals = chunk.to_numpy(np.int64)
        bad = (vals < lo) | (vals > hi)
        nums = vals
        if not bad.any():
            return None
    else:
        nums = np.empty((n, len(cols)))
        for j in range(len(cols)):
            nums[:, j] = pd.to_numeric(chunk.iloc[:, j], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = np.isnan(nums) | (nums != np.round(nums)) | (nums < lo) | (nums > hi)
    r = int(np.argmax(bad.any(axis=1)))
    j = int(np.argmax(bad[r]))
    raw = chunk.iat[r, j]
    v = nums[r, j]
    if isinstance(v, float) and np.isnan(v):
        reason = "the cell is empty" if pd.isna(raw) else f"'{raw}' is not a number"
    elif v != round(v):
        reason = f"{raw} is not a whole number"
    elif j == 0 and kind == "train":
        reason = f"label {raw} is not a digit 0..9"
    else:
        reason = f"{raw} is out of range: pixels are integers 0..255"
    return r, j, reason


class _FieldCounter(io.RawIOBase):
    """The CSV's rows as pandas reads them, each line's fields counted on the way: a line with more values than
    the header is refused as soon as its first chunk shows it, before pandas builds a column for each (a one-row
    file of 400,000 fields cost 200 MB and seconds that way). Shorter lines pass: their empty cells are named by
    the cell check. Kaggle's files hold no quoted fields, so a comma always separates two values."""

    def __init__(self, stream: BinaryIO, columns: int, name: str, first_line: int = 2):
        self.stream, self.columns, self.name = stream, columns, name
        self.line, self.fields = first_line, 1  # the line being read and its values so far

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        self._count(data)
        buffer[:len(data)] = data
        return len(data)

    def _count(self, data: bytes) -> None:
        *ended, rest = data.split(b"\n")
        for piece in ended:
            self._check(self.fields + piece.count(b","))
            self.line, self.fields = self.line + 1, 1
        self.fields += rest.count(b",")
        self._check(self.fields)

    def _check(self, fields: int) -> None:
        if fields <= self.columns:
            return
        while b"\n" not in (more := self.stream.read(1 << 20)) and more:  # the rest of the line, counted only
            fields += more.count(b",")
        fields += more.split(b"\n", 1)[0].count(b",")
        raise BadCSV(f"{self.name}: line {self.line} of the file has {fields:,} values where the header has "
                     f"{self.columns} columns.")


def read_csv(source: Readable, kind: Optional[str] = None, name: Optional[str] = None,
             progress: ProgressCallback = None) -> KaggleCSV:
    """Parse and validate a Kaggle train.csv (kind="train") or test.csv ("test"; None: from the header).
    `source` is a path, bytes or a binary file object. Raises BadCSV naming the first bad row or column.
    `progress(rows done, None)` is called after each chunk."""
    import pandas as pd

    if name is None:
        name = Path(source).name if isinstance(source, (str, os.PathLike)) else (getattr(source, "name", None)
                                                                               or f"{kind or 'the'} CSV")
    stream, close = _open(source)
    try:
        cols = _header(stream, name)
        kind = check_header(cols, kind, name)
        xs, ys, rows = [], [], 0
        try:
            # names=: the header's columns, so a short row's missing cells are empty, never a shorter table
            reader = pd.read_csv(io.BufferedReader(_FieldCounter(stream, len(cols), name)), header=None,
                                 names=range(len(cols)), chunksize=CHUNK_ROWS, engine="c", skip_blank_lines=True,
                                 encoding="utf-8")
            for chunk in reader:
                if chunk.empty:  # a header and nothing else: with names= pandas gives an empty table
                    continue
                bad = _first_bad(chunk, cols, kind)
                if bad is not None:
                    r, j, reason = bad
                    raise BadCSV(f"{name}: row {rows + r + 1} (not counting the header), column '{cols[j]}': {reason}.")
                if rows + len(chunk) > MAX_ROWS:
                    raise BadCSV(f"{name} has more than {MAX_ROWS:,} rows: refused, to keep memory in bounds "
                                 f"(Kaggle's train.csv has 42,000 rows and test.csv 28,000).")
                vals = chunk.to_numpy(np.int64)
                if kind == "train":
                    ys.append(vals[:, 0].copy())
                    vals = vals[:, 1:]
                xs.append(vals.astype(np.uint8).reshape(-1, 28, 28))
                rows += len(chunk)
                if progress:
                    progress(rows, None)
        except pd.errors.EmptyDataError:
            pass
        except pd.errors.ParserError as exc:
            m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
            if m:
                raise BadCSV(f"{name}: line {int(m.group(2)) + 1} of the file has {m.group(3)} values where the "
                             f"header has {len(cols)} columns.") from None
            raise BadCSV(f"{name} cannot be read as CSV: {exc}".rstrip() + ".") from None
        except UnicodeDecodeError:
            raise BadCSV(f"{name}: after row {rows} there are bytes that are not text; is it really a CSV?") from None
        if rows == 0:
            raise BadCSV(f"{name} has a header but no rows.")
        x = np.concatenate(xs)
        y = np.concatenate(ys) if kind == "train" else None
        return KaggleCSV(kind, x, y)
    finally:
        if close:
            stream.close()


# ---------------------------------------------------------------- where the files are
def find(kind: str) -> Optional[Path]:
    """train.csv or test.csv (kind "train" / "test") in the data folder or the download cache, or None."""
    return find_file([f"{kind}.csv"], FOLDER)


def _upload_folder() -> Path:
    d = config.download_dir() / FOLDER
    d.mkdir(parents=True, exist_ok=True)
    return d


def install(source: Readable, kind: str, name: Optional[str] = None) -> tuple[Path, int]:
    """Validate an uploaded (or local) train.csv/test.csv and save it as <data folder>/kaggle-digit-recognizer/
    <kind>.csv. The copy is written to a temporary file beside the destination, validated there, and only then
    renamed over it: a bad, failed or interrupted upload never leaves a half file. Returns (path, rows)."""
    if kind not in COLUMNS:
        raise ValueError(f"kind must be 'train' or 'test', not {kind!r}")
    dest = _upload_folder() / f"{kind}.csv"
    if name is None:
        name = Path(source).name if isinstance(source, (str, os.PathLike)) else getattr(source, "name", f"{kind}.csv")
    if isinstance(source, (str, os.PathLike)) and Path(source).resolve() == dest.resolve():
        return dest, len(read_csv(dest, kind, name))
    with atomic.replacing(dest) as tmp:
        with open(tmp, "wb") as out:
            stream, close = _open(source)
            try:
                shutil.copyfileobj(stream, out, 1 << 20)
            finally:
                if close:
                    stream.close()
            out.flush()
            os.fsync(out.fileno())
        rows = len(read_csv(tmp, kind, name))
    return dest, rows


def _count_rows(path: Path) -> int:
    n, last = 0, b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
            last = block[-1:]
    return n - 1 + (last != b"\n")  # header not counted; a last line without newline counted


# ---------------------------------------------------------------- the source
def missing_message() -> str:
    return (f"Kaggle Digit Recognizer: train.csv is not in {config.data_dir() / FOLDER}. Kaggle needs a login, so "
            f"it is not downloaded automatically: get train.csv and test.csv from {URL} and upload them on the "
            f"Datasets page, or put them in that folder.")


class KaggleDigitRecognizer(Source):
    def present(self, fname: str) -> bool:
        return find(fname.removesuffix(".csv")) is not None

    def state(self, present, missing):
        if not missing:
            return "complete", True, "train.csv re-split for a labelled test set; test.csv for submissions"
        if self.files[0] in present:
            return "partial", True, "train.csv present (re-split for a labelled test set); add test.csv to export a submission"
        return "missing", False, (f"Kaggle needs a login: download train.csv and test.csv from {URL}, then upload them "
                                  f"in the app or put them in {config.data_dir() / FOLDER}")

    def version(self) -> tuple:
        p = find("train")
        return (p.stat().st_mtime_ns if p else 0,)

    def fetch(self, progress: ProgressCallback = None) -> None:
        raise DatasetMissing(missing_message())

    def load(self, progress: ProgressCallback = None, download: bool = True) -> Dataset:
        """The Kaggle training images: train.csv re-split with a fixed seed for a labelled test set
        (test.csv has no labels; it is only for submissions)."""
        train_path = find("train")
        if train_path is None:
            raise DatasetMissing(missing_message())
        data = read_csv(train_path, "train")
        tr, te, prov = resplit(data.x, data.y, f"Kaggle's train.csv ({len(data):,} labelled images)")
        notes = ["Kaggle's test.csv has no labels: the test set here is held out from train.csv."]
        test_path = find("test")
        if test_path is not None:
            notes.append(f"test.csv ({_count_rows(test_path):,} unlabelled images) is present: export predictions as "
                         f"submission.csv on the Datasets page or with `python -m core submit`.")
        else:
            notes.append("test.csv is absent: add it to export a submission.csv.")
        return Dataset(self.name, self.title, list(DIGITS), tr, te, prov, "mnist", notes=notes)


SOURCES = [KaggleDigitRecognizer(FOLDER, "Kaggle Digit Recognizer (CSV)", "mnist",
                                 (f"{FOLDER}/train.csv", f"{FOLDER}/test.csv"), URL)]
