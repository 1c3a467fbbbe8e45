"""A model and what goes in and out of it:

    zoo.py               every architecture by name (an uncompiled keras.Model starting with keras.Input)
    input.py             the one input convention: uint8 pictures <-> float32 (N, 28, 28, 1), one picture's check
    preprocess.py        a canvas drawing or an uploaded picture -> model input, in the style of the model's data
    compiled.py          the one way a model is called: a compiled function (tf.function / jax.jit)
    evaluation.py        accuracy, report, confusion matrix, mistakes; EvalView, an evaluation to browse
    kaggle_submission.py a model's predictions for Kaggle's test.csv as submission.csv
    pictures.py          arrays -> pictures: SHAP and weight colour maps, viridis grids, tiles, the 28x28 input

Bundles on disk (list, inspect, load, save, the Predictor) are core/registry.py's.
"""
