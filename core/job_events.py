"""A training job's events as the pages read them: events.jsonl read incrementally, folded into a
`Progress` (what the Train page shows), and the tail of the job's log. See jobs.py for the folder."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional


@dataclass
class Progress:
    """What the page shows, folded from the events."""
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
    def of(cls, events: list[dict]) -> "Progress":
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
