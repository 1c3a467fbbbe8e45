"""How a training job shares the CPU with the app: at a lower priority (os.nice) and with capped compute
threads, so that the class's predictions keep their speed while a model trains
(`benchmarks/concurrent_users.py --with-training` measures it). HWLAB_TRAIN_THREADS overrides the cap."""
from __future__ import annotations

import contextlib
import os

NICENESS = 19  # added to a training job's CPU priority (19: the lowest): the app's predictions come first


def train_threads() -> int:
    """The compute threads a training job may use: HWLAB_TRAIN_THREADS, else all cores but one (at least
    one). Raises BadSettings when the variable is not a whole number from 1 to 1,024."""
    from ..config import whole_number

    return whole_number("HWLAB_TRAIN_THREADS", max(1, (os.cpu_count() or 2) - 1), 1, 1024)


def thread_env(n: int) -> dict:
    """The variables TensorFlow, OpenMP and XLA read for their thread pools when they start."""
    return {"TF_NUM_INTRAOP_THREADS": str(n), "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": str(n),
            "XLA_CPU_THREADS": str(n)}


def yield_to_the_app() -> int:
    """In a training process, before TensorFlow starts: lower its priority and cap its threads (also through
    TensorFlow's own setting, in case its variables were read already). Returns the cap."""
    n = train_threads()
    _state["sharing"] = True
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    os.environ.update(thread_env(n))
    with contextlib.suppress(ImportError, RuntimeError):  # RuntimeError: TensorFlow's pools already started
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    return n


# While students draw, a training job also steps aside in time: after each batch it sleeps as long as the batch
# took, so it uses about half of its core. Priority alone was not enough on this 2-core machine: with a job
# running, the p95 to a prediction of 30 drawing students went from 1.34 s to 1.66 s (the two processes still
# share the memory system). The app marks "busy" (a file's time) at most once a second when it predicts.
BUSY_FILE = "app-busy"  # in the jobs folder, which the app and its training jobs share
BUSY_WINDOW_S = 3.0  # a prediction in the last 3 s: the class is drawing
_state = {"sharing": False, "marked": 0.0}


def mark_app_busy(now: float | None = None) -> None:
    """The app, after a prediction: the class is drawing (cheap; writes at most once a second)."""
    import time

    from .. import config

    now = time.time() if now is None else now
    if now - _state["marked"] < 1.0:
        return
    _state["marked"] = now
    with contextlib.suppress(OSError):
        path = config.jobs_dir() / BUSY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        os.utime(path, (now, now))


def app_is_busy(now: float | None = None) -> bool:
    import time

    from .. import config

    now = time.time() if now is None else now
    try:
        return now - (config.jobs_dir() / BUSY_FILE).stat().st_mtime < BUSY_WINDOW_S
    except OSError:
        return False


def sharing() -> bool:
    """True in a training job that yields to the app (yield_to_the_app was called in this process)."""
    return _state["sharing"]


def throttle_callback():
    """A Keras callback that, while the class draws, sleeps after each batch as long as the batch took."""
    import time

    import keras

    class StepAside(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.t = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            took = time.perf_counter() - self.t
            if batch % 5 == 0:  # a file's time, read every 5 batches
                self.busy = app_is_busy()
            if getattr(self, "busy", False):
                time.sleep(took)

    return StepAside()
