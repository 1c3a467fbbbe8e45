"""Why a model says what it says about one input: SHAP attributions for its top classes
(attributions.py), every layer's activations, its convolution filters and first-layer weight
templates (layers.py), the face the pages import. The pictures of them are in core/model/pictures.py; the
browsing model of an evaluation is core.model.evaluation.EvalView; the compiled call is core/model/compiled.py."""
from ..errors import ExplainError  # noqa: F401
from .attributions import (BACKGROUND_SIZE, DEFAULT_METHOD, GRADIENT_NSAMPLES, METHODS, TOP,  # noqa: F401
                           Attribution, Explainer, background, background_from)
from .layers import Activations, LayerOutput, Templates, architecture_kind, conv_filters, weight_templates  # noqa: F401
