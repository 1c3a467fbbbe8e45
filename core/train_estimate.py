"""How long a training will take on this machine, from what was measured here, never a guess.

Every training records, per architecture and thread cap, its steady rate (images a second once the
compiled step runs, from train_progress.TimeLeft) and its overhead (loading, compiling, the test
evaluation and the save: the whole call less the images at that rate) in <cache dir>/train_rates.json.
`estimate` turns the last record into seconds; with none, `calibrate` measures one: a short real
training run (`python -m core.train_calibration ARCH`) in a process capped like a Train page job."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Optional

from . import config
from .atomic import write_json

FILE = "train_rates.json"
CALIBRATION_IMAGES = 8192


def _path():
    return config.cache_dir() / FILE


def thread_key() -> str:
    """The thread cap this process trains under ("all" when uncapped): rates differ with it."""
    return os.environ.get("TF_NUM_INTRAOP_THREADS", "all")


def _key(arch: str, threads: str) -> str:
    return f"{arch}@{threads}"


def _read() -> dict:
    try:
        d = json.loads(_path().read_text())
        return d if isinstance(d, dict) else {}
    except (OSError, ValueError):
        return {}


def record(arch: str, images_per_s: float, overhead_s: float, threads: Optional[str] = None) -> None:
    """Keep this machine's newest measurement for `arch` (written atomically; the last writer wins)."""
    d = _read()
    d[_key(arch, threads or thread_key())] = {"images_per_s": round(images_per_s, 1),
                                              "overhead_s": round(overhead_s, 1), "measured": round(time.time())}
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, d)


def measured(arch: str, threads: str) -> Optional[dict]:
    return _read().get(_key(arch, threads))


def estimate(arch: str, images: int, threads: str) -> Optional[dict]:
    """{"seconds", "images_per_s", "overhead_s", "measured"} for training `images` (all epochs together)
    at this machine's measured rate, or None when `arch` was never measured here with this thread cap."""
    m = measured(arch, threads)
    if not m or m.get("images_per_s", 0) <= 0:
        return None
    return {**m, "seconds": m["overhead_s"] + images / m["images_per_s"]}


def calibrate(arch: str, timeout: float = 300.0) -> Optional[dict]:
    """Measure `arch` here: a real training run on CALIBRATION_IMAGES MNIST images in a process capped like
    a training job (job_worker.yield_to_the_app), saved to a throwaway folder. Returns the record or None."""
    from .cpu_share import train_threads

    with tempfile.TemporaryDirectory() as models:
        env = {**os.environ, "HWLAB_MODELS_DIR": models, "TF_CPP_MIN_LOG_LEVEL": "3"}
        try:
            subprocess.run([sys.executable, "-m", "core.train_calibration", arch], cwd=str(config.ROOT), env=env,
                           timeout=timeout, capture_output=True, check=True)
        except (subprocess.SubprocessError, OSError):
            return None
    return measured(arch, str(train_threads()))
