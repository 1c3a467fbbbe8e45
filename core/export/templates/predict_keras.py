"""Read handwritten pictures with the Keras model: python predict.py my_picture.png

Needs: pip install {{RUNTIME}}"""
import keras

from preprocess import read_pictures

model = keras.saving.load_model("model.keras", compile=False)
read_pictures(lambda x: model.predict(x, verbose=0)[0])  # x: float32 (1, 28, 28, 1) -> probabilities
