"""Training progress inside Keras's fit: `EventReporter`, the callback that reports batches and epochs as
event dicts (run.train's `events`) and checks for a cancel after every batch, and `TimeLeft`, its estimate
of the time left."""
from __future__ import annotations

import time
from typing import Optional

import numpy as np

from .events import Events


class TimeLeft:
    """The time left, said only once it rests on enough batches, and smoothed.

    The first batches are left out (compilation and warm-up made "about 6 min 52 s left" of a run that
    ended 3 s later); the rate is then measured from WARMUP_BATCHES on, over at least MIN_BATCHES and
    MIN_SECONDS, and smoothed by an exponential moving average so that one slow second (another program on
    the machine) does not swing it ("17 min" then "27 s")."""
    WARMUP_BATCHES = 5
    MIN_BATCHES = 20
    MIN_SECONDS = 2.0
    SMOOTHING = 0.3  # weight of the newest rate in the average

    def __init__(self, total_batches: int):
        self.total = total_batches
        self.start: Optional[tuple[int, float]] = None  # (batches done, time) when measuring began
        self.last: Optional[tuple[int, float]] = None
        self.rate: Optional[float] = None  # batches a second, smoothed

    def update(self, done: int, now: float) -> Optional[float]:
        """Seconds left after `done` batches at time `now`; None while the estimate would be a guess."""
        if done < self.WARMUP_BATCHES:
            return None
        if self.start is None:
            self.start = self.last = (done, now)
            return None
        (d0, t0), (d1, t1) = self.start, self.last
        if done > d1 and now > t1:
            recent = (done - d1) / (now - t1)
            self.rate = recent if self.rate is None else self.SMOOTHING * recent + (1 - self.SMOOTHING) * self.rate
            self.last = (done, now)
        if self.rate is None or done - d0 < self.MIN_BATCHES or now - t0 < self.MIN_SECONDS:
            return None
        return max(self.total - done, 0) / self.rate


def event_reporter(events: Events, cancel, steps: int, epochs: int, history: list, clock: dict):
    """A Keras callback: batch and epoch events into `events`, `history` rows, the steady rate into `clock`,
    and a stop after the batch in which cancel() said so (clock[\"cancelled\"])."""
    import keras

    class EventReporter(keras.callbacks.Callback):
        # Batch ends are dispatched on a helper thread, so the compiled steps run ahead without a device
        # sync each batch (the logs are read as floats only twice a second).
        async_safe = True

        def on_train_begin(self, logs=None):
            clock["start"] = time.time()
            self.time_left = TimeLeft(epochs * steps)

        def on_train_end(self, logs=None):
            clock["batches_per_s"] = self.time_left.rate  # the steady rate (estimate.py records it)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch, self.t_epoch, self.t_emit = epoch, time.time(), 0.0

        def on_train_batch_end(self, batch, logs=None):
            if cancel and cancel():
                self.model.stop_training = True
                clock["cancelled"] = True
            now = time.time()
            if events and (now - self.t_emit > 0.5 or batch + 1 == steps):  # floats force a device sync
                self.t_emit = now
                eta = self.time_left.update(self.epoch * steps + batch + 1, now)
                events({"event": "batch", "epoch": self.epoch + 1, "epochs": epochs, "batch": batch + 1,
                        "steps": steps, "loss": float(logs.get("loss", float("nan"))),
                        "accuracy": float(logs.get("accuracy", float("nan"))), "eta_s": eta})

        def on_epoch_end(self, epoch, logs=None):
            lr = self.model.optimizer.learning_rate
            row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items() if k != "learning_rate"},
                   "learning_rate": float(np.asarray(lr)), "seconds": time.time() - self.t_epoch}
            history.append(row)
            if events:
                events({"event": "epoch", **row, "epochs": epochs})

    return EventReporter()
