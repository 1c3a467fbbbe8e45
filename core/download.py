"""Downloads with a progress callback and checksum verification.

The file is written to a temporary `.part` file beside its destination (a unique name, so two
downloads of the same file never write into each other) and renamed only once its checksum
matches: a failed, corrupt or interrupted download never leaves a file that looks complete."""
import hashlib
import http.client
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Sequence

from . import atomic
from .errors import DownloadError
from .progress import Progress  # (bytes done, total bytes or None)

CHUNK = 1 << 16
USER_AGENT = "handwriting-lab (python urllib)"


def _hasher(checksum: str):
    algo, _, want = checksum.partition(":")
    if algo not in ("md5", "sha1", "sha256") or not want:
        raise ValueError(f"checksum must be 'md5:HEX', 'sha1:HEX' or 'sha256:HEX', not {checksum!r}")
    return hashlib.new(algo)


def file_checksum(path: Path, checksum: str) -> str:
    h = _hasher(checksum)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest().lower()


def _fetch_one(url: str, dest: Path, checksum: str, progress: Progress, timeout: float) -> None:
    """One address into `dest`, or an exception; never leaves anything but a verified `dest`."""
    want = checksum.partition(":")[2].lower()
    h = _hasher(checksum)
    with atomic.replacing(dest) as part, open(part, "wb") as out:
        req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            total = resp.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            if total:
                free = shutil.disk_usage(dest.parent).free
                if free < total + (64 << 20):
                    raise DownloadError(f"not enough disk space in {dest.parent}: {total / 1e6:.0f} MB needed, "
                                        f"{free / 1e6:.0f} MB free")
            done = 0
            if progress:
                progress(0, total)
            while True:
                chunk = resp.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                h.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if total is not None and done != total:
            raise DownloadError(f"the transfer stopped after {done:,} of {total:,} bytes")
        got = h.hexdigest().lower()
        if got != want:
            raise DownloadError(f"checksum mismatch (got {got}, expected {want}): the file is damaged or not "
                                f"the official one")
        out.flush()
        os.fsync(out.fileno())


def download(urls: Sequence[str], dest: Path, checksum: str, progress: Progress = None,
             timeout: float = 30.0) -> Path:
    """Fetch the first of `urls` that gives the right file into `dest`; `checksum` is 'md5:HEX' or
    'sha256:HEX'. A `dest` already there with that checksum is kept as it is (no network).
    Raises DownloadError naming every address tried and what went wrong with each."""
    _hasher(checksum)  # a bad checksum spec is a bug, said before any network
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"Cannot create the folder {dest.parent}: {exc.strerror or exc}.") from None
    want = checksum.partition(":")[2].lower()
    if dest.is_file() and file_checksum(dest, checksum) == want:
        return dest
    problems = []
    for url in urls:
        try:
            _fetch_one(url, dest, checksum, progress, timeout)
            return dest
        except DownloadError as exc:
            problems.append(f"{url}: {exc}")
        except urllib.error.HTTPError as exc:
            problems.append(f"{url}: HTTP {exc.code} {exc.reason}")
        except urllib.error.URLError as exc:
            problems.append(f"{url}: {exc.reason} (offline?)")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            problems.append(f"{url}: {type(exc).__name__}: {exc}".rstrip(": "))
    raise DownloadError(f"Could not download {dest.name}. " + "; ".join(problems))
