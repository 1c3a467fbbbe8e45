"""Read handwritten pictures with the ONNX model in ONNX Runtime: python predict.py my_picture.png

Needs: pip install {{RUNTIME}}"""
import onnxruntime

from preprocess import read_pictures

session = onnxruntime.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name  # float32 (N, 28, 28, 1) in, (N, classes) probabilities out
read_pictures(lambda x: session.run(None, {input_name: x})[0][0])
