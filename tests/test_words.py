"""Words a user knows: new bundles are named from their architecture's title, not its internal id, and every
layer the zoo builds has a name in plain words for the activations view."""
from core import registry
from core.model import zoo


def test_new_bundles_are_named_in_the_words_of_their_title():
    assert zoo.bundle_name("sklearn-digits", "seed000_cnn1") == "sklearn-digits-small-cnn"
    assert zoo.bundle_name("mnist", "seed004_cnn_aug") == "mnist-wide-filter-cnn-augmented"
    names = [zoo.bundle_name("emnist-letters", a) for a in zoo.ARCHS]
    assert len(set(names)) == len(names)  # no two architectures share a default name
    assert all(registry.NAME_RE.match(n) and "seed0" not in n and "_" not in n for n in names)


def test_every_layer_the_zoo_builds_is_said_in_plain_words():
    from ui.insight.explain import LAYER_WORDS

    passthrough = {"InputLayer", "Flatten", "Dropout"}  # not shown in the activations view
    types = {type(layer).__name__ for a in zoo.ARCHS for layer in zoo.build(a, 10).layers}
    assert types - passthrough <= set(LAYER_WORDS), types - passthrough - set(LAYER_WORDS)


def test_the_tab_icon_is_a_file_shipped_with_the_app():
    """A material icon as the page icon makes the browser fetch it from a font server (nothing offline)."""
    import ast

    from PIL import Image

    from conftest import ROOT

    tree = ast.parse((ROOT / "app.py").read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "set_page_config"]
    icon = next(k.value for k in calls[0].keywords if k.arg == "page_icon")
    assert isinstance(icon, ast.Name) and icon.id == "ICON"  # the file below, not ":material/..."
    assert Image.open(ROOT / "assets" / "icon.png").size == (64, 64)


def test_the_emnist_missing_sentence_says_neither_with_nor(tmp_path, monkeypatch):
    from core import datasets
    from core.errors import DatasetMissing

    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    for name in ("emnist-letters", "emnist-balanced", "emnist-byclass"):
        try:
            datasets.load(name, download=False)
        except DatasetMissing as exc:
            said = str(exc)
        assert ("neither" in said) == ("nor" in said), said
