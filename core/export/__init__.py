"""Take a model home: any bundle (a shipped one, a newly trained one, the class's fine-tuned one) as a zip for
Keras, ONNX or LiteRT (TensorFlow Lite), with its labels, a README on the input it needs, the preprocessing
and a runnable example (`python -m core export`, the Models page's "Use this model elsewhere").

    formats.py    the formats and the conversion into each (Keras's own model.export), failures as sentences
    package.py    the zip: model file, labels.txt, README.md, preprocess.py, predict.py (+ index.html for ONNX)
    templates/    what goes into the zip besides the model (placeholders in {{...}})
"""
from .formats import FORMATS, Format
from .package import ORT_WEB_FILES, ORT_WEB_URL, ORT_WEB_VERSION, build_zip, write_zip

__all__ = ["FORMATS", "Format", "ORT_WEB_FILES", "ORT_WEB_URL", "ORT_WEB_VERSION", "build_zip", "write_zip"]
