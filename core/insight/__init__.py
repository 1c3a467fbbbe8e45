"""Insight beyond one model's answer: every model of a dataset on one input (lineup), the training images
nearest to it in a model's own feature space (features, neighbours), a 2-D map of what the model learned
(feature_map), several characters in one picture (segment), and look-alike classes said honestly
(lookalikes). No Streamlit here: the CLI (cli.py), the pages and the benchmarks share this code."""
