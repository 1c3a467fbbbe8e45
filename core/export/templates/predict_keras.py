"""Read handwritten pictures with the Keras model: python predict.py my_picture.png

Needs: pip install {{RUNTIME}}"""
import keras
import numpy as np

from preprocess import read_pictures

model = keras.saving.load_model("model.keras", compile=False)
read_pictures(lambda x: np.asarray(model(x, training=False))[0])  # x: float32 (1, 28, 28, 1) -> probabilities
