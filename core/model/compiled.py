"""The one way a loaded Keras model is called: a compiled function (tf.function on TensorFlow, jax.jit on
JAX), never model.predict, whose per-call overhead is about 100 ms. Every model takes one input
convention: float32 (N, 28, 28, 1) in [0, 1], white ink on black (core/model/input.py makes pictures so)."""
from __future__ import annotations

from typing import Callable

import numpy as np


def backend() -> str:
    import keras

    return keras.backend.backend()


def compiled_call(model, xla_single: bool = False) -> Callable[[np.ndarray], list[np.ndarray]]:
    """float32 (N,28,28,1) -> the model's outputs as a list of numpy arrays, through one compiled call.
    xla_single (TensorFlow): one image at a time goes through an XLA-compiled function for that one fixed
    shape (it fuses conv + batch-norm + relu: about 25% faster on a 2-core CPU, benchmarks/latency.py);
    batches keep the plain graph, so a new batch size never costs an XLA compilation."""
    import keras

    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")  # one tf.function per loaded model is by design, not a retracing bug
        batch = tf.function(lambda x: model(x, training=False), reduce_retracing=True,
                            input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32)])
        single = batch
        if xla_single:
            single = tf.function(lambda x: model(x, training=False), jit_compile=True,
                                 input_signature=[tf.TensorSpec((1, 28, 28, 1), tf.float32)])

        def raw(x):
            x = tf.convert_to_tensor(x, tf.float32)
            return (single if x.shape[0] == 1 else batch)(x)
    elif name == "jax":
        import jax

        jitted = jax.jit(lambda x: model(x, training=False))
        raw = lambda x: jitted(np.asarray(x, np.float32))  # noqa: E731
    else:
        raw = lambda x: model(x, training=False)  # noqa: E731

    def run(x):
        out = raw(x)
        outs = out if isinstance(out, (list, tuple)) else [out]
        return [np.asarray(keras.ops.convert_to_numpy(o)) for o in outs]
    return run


def compiled_predict(model) -> Callable[[np.ndarray], np.ndarray]:
    """float32 (N,28,28,1) -> probabilities (a classifier's one output), XLA for single drawings."""
    call = compiled_call(model, xla_single=True)
    return lambda x: call(x)[0]
