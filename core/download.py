"""Downloads with a progress callback and checksum verification.

The file is written to a `.part` file beside its destination and renamed only once its checksum
matches, so an interrupted or corrupt download never leaves a file that looks complete."""
import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Optional, Sequence

from .errors import DownloadError

Progress = Optional[Callable[[int, Optional[int]], None]]  # (bytes done, total bytes or None)


def _hasher(checksum: str):
    algo, _, _ = checksum.partition(":")
    return hashlib.new(algo)


def download(urls: Sequence[str], dest: Path, checksum: str, progress: Progress = None,
             timeout: float = 30.0) -> Path:
    """Fetch the first of `urls` that answers into `dest`; `checksum` is 'md5:HEX' or 'sha256:HEX'.
    Raises DownloadError naming every address tried when none gives the right file."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    want = checksum.partition(":")[2].lower()
    problems = []
    for url in urls:
        try:
            h = _hasher(checksum)
            with urllib.request.urlopen(url, timeout=timeout) as resp, open(part, "wb") as out:
                total = resp.headers.get("Content-Length")
                total = int(total) if total and total.isdigit() else None
                done = 0
                while True:
                    chunk = resp.read(1 << 16)
                    if not chunk:
                        break
                    out.write(chunk)
                    h.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
            if h.hexdigest().lower() != want:
                problems.append(f"{url}: checksum mismatch (got {h.hexdigest()}, expected {want})")
                part.unlink(missing_ok=True)
                continue
            os.replace(part, dest)
            return dest
        except (urllib.error.URLError, OSError, ValueError) as exc:
            part.unlink(missing_ok=True)
            problems.append(f"{url}: {getattr(exc, 'reason', exc)}")
        except BaseException:  # interrupted (Ctrl-C, killed thread): never leave the half file
            part.unlink(missing_ok=True)
            raise
    raise DownloadError(f"Could not download {dest.name}. " + "; ".join(problems))
