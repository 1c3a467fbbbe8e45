"""Layers that an export format cannot hold, for the export tests: registered Keras layers (a bundle loads
them in safe mode), each using one TensorFlow operation a converter lacks."""
import keras

from core import registry


@keras.saving.register_keras_serializable("hwlab_test")
class Determinant(keras.layers.Layer):
    """tf.linalg.det of the picture's top-left 4x4 corner: ONNX has Det, LiteRT's built-ins do not."""

    def call(self, x):
        import tensorflow as tf

        return tf.linalg.det(tf.reshape(x[:, :4, :4, 0], (-1, 4, 4)))[:, None]


@keras.saving.register_keras_serializable("hwlab_test")
class InverseErf(keras.layers.Layer):
    """tf.math.erfinv: neither ONNX nor LiteRT's built-ins have it."""

    def call(self, x):
        import tensorflow as tf

        return tf.math.erfinv(x * 0.5)


def bundle_with(layer, name: str) -> str:
    """A bundle (in HWLAB_MODELS_DIR) of a tiny classifier on top of `layer`; returns its name."""
    image = keras.Input((28, 28, 1), name="image")
    y = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(layer(image)))
    card = {"name": name, "title": name, "dataset": "mnist", "classes": [str(i) for i in range(10)]}
    return registry.save_bundle(keras.Model(image, y), card, [])
