"""Decoded dataset arrays kept beside the derived data (config.cache_dir()/decoded/), so that a dataset
packed in a slow format (MNIST's gzipped IDX files) is decoded once, not at every load.

`arrays(name, files, decode)` returns what `decode()` returns (a dict of named numpy arrays), read from
the cache when it was written from the same files, else decoded afresh and written there. The cache is
keyed by each source file's path, size and modification time: a new download, an upload or another data
folder changes the key and the arrays are decoded again. The cache is an optimisation only: a cache
folder that cannot be written, or a cached file that cannot be read, falls back to decoding.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from .. import atomic, config

VERSION = 1  # bump when what a decoder returns changes meaning
_KEY = "__source_files__"  # the entry holding the key (never a dataset's own array name)


def cache_path(name: str, files: list[Path]) -> Path:
    """One file per dataset and folder of source files (a test's small copy never evicts the real one)."""
    where = hashlib.sha1("\n".join(str(Path(f).resolve().parent) for f in files).encode()).hexdigest()[:12]
    return config.cache_dir() / "decoded" / f"{name}-{where}-v{VERSION}.npz"


def source_key(files: list[Path]) -> str:
    """Which files (and which versions of them) the arrays were decoded from."""
    rows = []
    for f in files:
        st = Path(f).stat()
        rows.append([str(Path(f).resolve()), st.st_size, st.st_mtime_ns])
    return json.dumps(rows)


def arrays(name: str, files: list[Path], decode: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays `decode()` makes from `files`, from the cache when it holds them for these very files."""
    key = source_key(files)
    path = cache_path(name, files)
    try:
        with np.load(path, allow_pickle=False) as z:
            if _KEY in z.files and str(z[_KEY]) == key:
                return {k: z[k] for k in z.files if k != _KEY}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        pass  # absent, stale or damaged: decode again
    out = decode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic.replacing(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **out, **{_KEY: np.array(key)})  # uncompressed: reading it back is a plain copy
    except OSError:
        pass  # a read-only or full cache folder: the arrays were decoded all the same
    return out
