"""Downloads with a known hash and a progress bar, through pooch: the first address (of a list of mirrors)
that gives the right file wins.

pooch writes into a temporary file beside the destination and moves it into place only once its hash
matches, so a failed, corrupt or interrupted download never leaves a file that looks complete; a file
already there with the right hash is kept without asking the network. Its progress bar is our progress
callback (`_ProgressBar`, pooch's custom progress-bar interface), which the CLI's bar and the pages show."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional, Sequence

from ..errors import DownloadError
from ..progress import ProgressCallback  # (bytes done, total bytes or None)

USER_AGENT = "handwriting-lab (pooch)"
DISK_MARGIN = 64 << 20  # free space kept beside a download


class _ProgressBar:
    """What pooch's HTTPDownloader asks of a progress bar (total, update, reset, close), reported as
    progress(bytes done, total or None); it also refuses a download the disk has no room for."""

    def __init__(self, progress: ProgressCallback, folder: Path):
        self.progress, self.folder, self.done, self._total = progress, folder, 0, None

    @property
    def total(self) -> Optional[int]:
        return self._total

    @total.setter
    def total(self, n: int) -> None:  # pooch sets it from Content-Length (0 when the server says none)
        self._total = n or None
        if self._total:
            free = shutil.disk_usage(self.folder).free
            if free < self._total + DISK_MARGIN:
                raise DownloadError(f"not enough disk space in {self.folder}: {self._total / 1e6:.0f} MB needed, "
                                    f"{free / 1e6:.0f} MB free")
        if self.progress:
            self.progress(0, self._total)

    def update(self, n: int) -> None:  # pooch counts whole chunks: the last one may overshoot
        self.done = min(self.done + n, self._total) if self._total else self.done + n
        if self.progress:
            self.progress(self.done, self._total)

    def reset(self) -> None:  # pooch resets, then fills the bar to the total: no step backwards to report
        self.done = 0

    def close(self) -> None:
        pass


def download(urls: Sequence[str], dest: Path, checksum: str, progress: ProgressCallback = None,
             timeout: float = 30.0) -> Path:
    """Fetch the first of `urls` that gives the right file into `dest`; `checksum` is 'md5:HEX', 'sha1:HEX'
    or 'sha256:HEX'. A `dest` already there with that checksum is kept as it is (no network).
    Raises DownloadError naming every address tried and what went wrong with each."""
    import pooch
    import requests

    algo, _, want = checksum.partition(":")
    if algo not in ("md5", "sha1", "sha256") or not want:  # a bad checksum spec is a bug, said before any network
        raise ValueError(f"checksum must be 'md5:HEX', 'sha1:HEX' or 'sha256:HEX', not {checksum!r}")
    pooch.get_logger().setLevel("WARNING")  # our progress callback says what is downloading
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"Cannot create the folder {dest.parent}: {exc.strerror or exc}.") from None
    problems: dict[str, list[str]] = {}  # what went wrong -> the addresses it went wrong with
    for url in urls:
        bar = _ProgressBar(progress, dest.parent)
        fetch = pooch.HTTPDownloader(progressbar=bar, timeout=timeout, headers={"User-Agent": USER_AGENT})
        try:
            pooch.retrieve(url, known_hash=checksum.lower(), fname=dest.name, path=dest.parent, downloader=fetch)
            return dest
        except DownloadError as exc:
            why = str(exc)
        except requests.HTTPError as exc:
            response = exc.response
            why = f"HTTP {response.status_code} {response.reason}" if response is not None else str(exc)
        except requests.ConnectionError as exc:
            why = f"cannot connect ({type(exc).__name__}; offline?)"
        except requests.RequestException as exc:
            why = f"the transfer stopped before the end ({type(exc).__name__})"
        except ValueError as exc:  # pooch: the hash differs
            why = (f"checksum mismatch: the file is damaged or not the official one ({exc})" if "hash" in str(exc)
                   else str(exc))
        except OSError as exc:
            why = f"{type(exc).__name__}: {exc}".rstrip(": ")
        problems.setdefault(why, []).append(url)
    # the same failure from every mirror (offline: the same network error) is said once
    raise DownloadError(f"Could not download {dest.name}: " + "; ".join(
        f"{why} ({', '.join(tried)})" for why, tried in problems.items()) + ".")
