"""A training's events: `Events`, the callback of event dicts that run.train reports through; `EventLog`,
which the worker appends them with to the job's events.jsonl; and, for the pages, the file read back
incrementally and folded into a `JobProgress` (what the Train page shows), and the tail of the job's log.
job_files.py holds the folder's layout."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

Events = Optional[Callable[[dict], None]]  # receives {"event": "status" | "device" | "batch" | ..., ...}
BATCH_EVENT_EVERY_S = 1.0  # at most one batch event a second in events.jsonl (plus each epoch's last)


class EventLog:
    """Appends events as JSON lines with their time; batch events at most once a second."""

    def __init__(self, path: Path):
        self.fh = open(path, "a", buffering=1)
        self.last_batch = 0.0

    def __call__(self, e: dict) -> None:
        now = time.time()
        if e.get("event") == "batch":
            if now - self.last_batch < BATCH_EVENT_EVERY_S and e.get("batch") != e.get("steps"):
                return
            self.last_batch = now
        self.fh.write(json.dumps({**e, "t": round(now, 3)}, default=float) + "\n")
        self.fh.flush()
        if e.get("event") in ("status", "device", "epoch", "evaluation", "done"):
            print(json.dumps(e, default=float), flush=True)  # the log tells the same story


@dataclass
class JobProgress:
    """A job's progress as the Train page shows it, folded from its events."""
    device: Optional[dict] = None
    status: Optional[str] = None
    epoch: int = 0  # the epoch under way (1-based), or the last one finished
    epochs: Optional[int] = None
    batch: int = 0
    steps: Optional[int] = None
    eta_s: Optional[float] = None
    batches: list[dict] = field(default_factory=list)  # (x = epochs done, loss, accuracy) of the running means
    history: list[dict] = field(default_factory=list)  # one row per finished epoch
    evaluation: Optional[dict] = None
    last_event_t: Optional[float] = None

    @classmethod
    def of(cls, events: list[dict]) -> "JobProgress":
        p = cls()
        for e in events:
            kind = e.get("event")
            p.last_event_t = e.get("t", p.last_event_t)
            if kind == "device":
                p.device = {k: v for k, v in e.items() if k not in ("event", "t")}
            elif kind == "status":
                p.status = e.get("message")
            elif kind == "batch":
                p.epoch, p.epochs, p.batch, p.steps = e["epoch"], e["epochs"], e["batch"], e["steps"]
                p.eta_s = e.get("eta_s")
                p.batches.append({"x": e["epoch"] - 1 + e["batch"] / max(e["steps"], 1),
                                  "loss": e.get("loss"), "accuracy": e.get("accuracy")})
            elif kind == "epoch":
                p.epoch, p.epochs = e["epoch"], e.get("epochs", p.epochs)
                p.batch = p.steps or p.batch
                p.history.append({k: v for k, v in e.items() if k not in ("event", "t", "epochs")})
            elif kind == "evaluation":
                p.evaluation = {k: v for k, v in e.items() if k not in ("event", "t")}
        return p


_EVENTS_CACHE: dict[str, tuple[int, int, list[dict]]] = {}  # path -> (inode, bytes read, events)


def read_events(d: Path) -> list[dict]:
    """The job's events so far (read incrementally: a poll reads only what was appended)."""
    path = Path(d) / "events.jsonl"
    try:
        st = path.stat()
    except OSError:
        return []
    key = str(path)
    inode, offset, events = _EVENTS_CACHE.get(key, (st.st_ino, 0, []))
    if inode != st.st_ino or st.st_size < offset:
        offset, events = 0, []
    if st.st_size > offset:
        with open(path, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read(st.st_size - offset)
        end = chunk.rfind(b"\n") + 1  # a line still being written waits for the next look
        events = events + [json.loads(line) for line in chunk[:end].splitlines() if line.strip()]
        offset += end
        _EVENTS_CACHE[key] = (st.st_ino, offset, events)
    return list(events)


def log_tail(d: Path, max_chars: int = 4000) -> str:
    path = Path(d) / "log.txt"
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_chars))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return text.replace("\r", "\n")
