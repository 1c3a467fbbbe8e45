"""Read handwritten pictures with the LiteRT (TensorFlow Lite) model: python predict.py my_picture.png

Needs: pip install {{RUNTIME}}   (on a phone: the LiteRT runtime for Android or iOS reads the same file)"""
from ai_edge_litert.interpreter import Interpreter

from preprocess import read_pictures

interpreter = Interpreter(model_path="model.tflite")
interpreter.allocate_tensors()  # one picture at a time: float32 (1, 28, 28, 1) in, (1, classes) out
image, output = interpreter.get_input_details()[0], interpreter.get_output_details()[0]


def probabilities_of(x):
    interpreter.set_tensor(image["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(output["index"])[0]


read_pictures(probabilities_of)
