"""How long a training will take on this machine, from what was measured here, never a guess.

Every training records, per architecture and thread cap, its steady rate (images a second once the
compiled step runs, from progress.TimeLeft) and the parts of the run that are not images at that rate
(PARTS: loading and tracing, the test evaluation, the drawn-input accuracy, the save, and the map the caller
draws after it), in <cache dir>/train_rates.json. `estimate` adds them up for the run the form describes, the
drawn-input part only when that run measures it; with no record, `calibrate` measures one: a short real
training run (`python -m core calibrate ARCH`) in a process capped like a Train page job."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Optional

from .. import config
from ..atomic import write_json

FILE = "train_rates.json"
CALIBRATION_IMAGES = 8192
# What a run costs besides its images at the steady rate, each measured by training.train on a real run.
PARTS = {"start_s": "load and trace",  # the dataset, TensorFlow, the model, the first compiled steps
         "evaluate_s": "test",  # the held-out test set and the training-accuracy sample
         "drawn_s": "measure drawn-input accuracy",  # only when the run measures it (drawn_eval)
         "save_s": "save",  # the bundle, synced to disk
         "map_s": "draw its map"}  # the map of what it learned, drawn by the caller after the save (record_part)


def _path():
    return config.cache_dir() / FILE


def thread_key() -> str:
    """The thread cap this process trains under ("all" when uncapped): rates differ with it."""
    return os.environ.get("TF_NUM_INTRAOP_THREADS", "all")


def _key(arch: str, threads: str) -> str:
    return f"{arch}@{threads}"


def _arch_id(arch: str) -> str:
    from ..model import zoo

    return zoo.fingerprint(arch)


def _read() -> dict:
    try:
        d = json.loads(_path().read_text())
        return d if isinstance(d, dict) else {}
    except (OSError, ValueError):
        return {}


def record(arch: str, images_per_s: float, parts: dict, threads: Optional[str] = None) -> None:
    """Keep this machine's newest measurement for `arch`: its rate and the PARTS measured (seconds). A run
    without drawn-input accuracy keeps the last one that had it (written atomically; the last writer wins)."""
    d = _read()
    key = _key(arch, threads or thread_key())
    kept = {k: v for k, v in (d.get(key) or {}).items() if k in PARTS}
    if (d.get(key) or {}).get("arch_id") != _arch_id(arch):
        kept = {}  # the parts measured on an earlier version of the architecture are not this one's
    d[key] = {**kept, **{k: round(float(parts[k]), 1) for k in PARTS if parts.get(k) is not None},
              "images_per_s": round(images_per_s, 1), "measured": round(time.time()), "arch_id": _arch_id(arch)}
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, d)


def record_part(arch: str, part: str, seconds: float, threads: Optional[str] = None) -> None:
    """Add one measured part (e.g. map_s, which the callers of run.train measure) to `arch`'s record."""
    d = _read()
    key = _key(arch, threads or thread_key())
    if part in PARTS and key in d:
        d[key][part] = round(float(seconds), 1)
        write_json(_path(), d)


def measured(arch: str, threads: str) -> Optional[dict]:
    """This machine's record for `arch` as the code builds it now; None when none, or when it was measured on
    an earlier version of the architecture (another fingerprint)."""
    m = _read().get(_key(arch, threads))
    return m if m and m.get("arch_id") == _arch_id(arch) else None


def estimate(arch: str, images: int, threads: str, drawn_eval: bool = True) -> Optional[dict]:
    """{"seconds", "images_per_s", "parts": {PARTS key: seconds}, "measured"} for a run that trains `images`
    (all epochs together) at this machine's measured rate, with or without drawn-input accuracy; None when
    `arch` was never measured here with this thread cap, or when a part that run needs never was."""
    m = measured(arch, threads)
    # the map's part only where one was measured: a bundle whose dataset is not on disk gets no map
    needed = [k for k in PARTS if (drawn_eval or k != "drawn_s") and (k != "map_s" or k in (m or {}))]
    if not m or m.get("images_per_s", 0) <= 0 or any(k not in m for k in needed):
        return None
    parts = {k: m[k] for k in needed}
    return {"images_per_s": m["images_per_s"], "measured": m["measured"], "parts": parts,
            "seconds": sum(parts.values()) + images / m["images_per_s"]}


def calibrate(arch: str, timeout: float = 300.0) -> Optional[dict]:
    """Measure `arch` here: a real training run on CALIBRATION_IMAGES MNIST images in a process capped like
    a training job (cpu_share.yield_to_the_app), saved to a throwaway folder. Returns the record or None."""
    from .cpu_share import train_threads

    with tempfile.TemporaryDirectory() as models:
        env = {**os.environ, "HWLAB_MODELS_DIR": models, "TF_CPP_MIN_LOG_LEVEL": "3"}
        try:
            subprocess.run([sys.executable, "-m", "core", "calibrate", arch], cwd=str(config.ROOT), env=env,
                           timeout=timeout, capture_output=True, check=True)
        except (subprocess.SubprocessError, OSError):
            return None
    return measured(arch, str(train_threads()))
