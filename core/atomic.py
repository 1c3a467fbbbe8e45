"""Writing a file so that a reader sees the old one or the new one, never half of one.

`replacing(dest)` hands out a temporary path beside `dest` (same folder, so the final rename is atomic;
a unique dot-name, so two writers never write into each other and listings skip it). When the block
ends normally the temporary file is renamed over `dest`; when it raises (a failed check, Ctrl-C, a
stopped Streamlit run) the temporary file is removed and `dest` is left as it was.

`sync_tree(folder)` puts a folder written aside (a model bundle) on disk, files and folders, before it is
renamed into place, and `sync_dir(folder)` puts a rename itself on disk: a power cut then leaves the old
state or the whole new one, never a bundle whose name is there and whose files are empty.
"""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Union

PathLike = Union[str, os.PathLike]


@contextmanager
def replacing(dest: PathLike) -> Iterator[Path]:
    """A temporary path to write `dest`'s new content to; renamed over `dest` when the block succeeds."""
    dest = Path(dest)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(dest: PathLike, data: bytes, fsync: bool = False) -> None:
    """`dest` holds `data`, atomically (fsync: also on disk before the rename, for files that must survive
    a power cut)."""
    with replacing(dest) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())


def write_text(dest: PathLike, text: str) -> None:
    write_bytes(dest, text.encode())


def write_json(dest: PathLike, obj, indent: int = 1) -> None:
    write_text(dest, json.dumps(obj, indent=indent) + "\n")


def sync_dir(folder: PathLike) -> None:
    """The folder's entries (a file created or renamed in it) on disk. A no-op where folders cannot be opened
    (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_tree(folder: PathLike) -> None:
    """Every file under `folder` and every folder in it, itself included, on disk."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as fh:
                os.fsync(fh.fileno())
        sync_dir(root)
