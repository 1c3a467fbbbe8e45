"""Handwriting Lab's library: datasets, preprocessing, models, training, evaluation, explanations.

Never imports streamlit, so the CLI (`python -m core`), the benchmarks, the training worker and
the tests all use it without a browser.
"""
