"""How a training job shares the CPU with the app: at a lower priority (os.nice) and with capped compute
threads, so that the class's predictions keep their speed while a model trains
(`benchmarks/concurrent_users.py --with-training` measures it). HWLAB_TRAIN_THREADS overrides the cap."""
from __future__ import annotations

import contextlib
import os

NICENESS = 19  # added to a training job's CPU priority (19: the lowest): the app's predictions come first


def train_threads() -> int:
    """The compute threads a training job may use: all cores but one (at least one)."""
    try:
        return max(1, int(os.environ["HWLAB_TRAIN_THREADS"]))
    except (KeyError, ValueError):
        return max(1, (os.cpu_count() or 2) - 1)


def thread_env(n: int) -> dict:
    """The variables TensorFlow, OpenMP and XLA read for their thread pools when they start."""
    return {"TF_NUM_INTRAOP_THREADS": str(n), "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": str(n),
            "XLA_CPU_THREADS": str(n)}


def yield_to_the_app() -> int:
    """In a training process, before TensorFlow starts: lower its priority and cap its threads (also through
    TensorFlow's own setting, in case its variables were read already). Returns the cap."""
    n = train_threads()
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    os.environ.update(thread_env(n))
    with contextlib.suppress(ImportError, RuntimeError):  # RuntimeError: TensorFlow's pools already started
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    return n
