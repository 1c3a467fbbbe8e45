"""The views of one input that several pages show (Draw, Evaluation, Class): "More insight" (more.py: the
map, the line-up, the nearest examples), the explanation (explain.py: SHAP, activations, filters), and each
view's own module (feature_map.py, lineup.py, neighbours.py)."""
