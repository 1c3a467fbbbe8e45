"""AppTest run (no browser) of the Models page's "Use this model elsewhere": a zip per format built on request,
then a download button for it; a format that cannot hold the model says so in its own column while the
other formats still download."""
import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from unsupported_layers import Determinant, bundle_with

ROOT = Path(__file__).resolve().parent.parent
SMALL = "mnist-logreg_l2"


def _downloads(at) -> list[str]:
    out = []

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) == "download_button":
                out.append(child.proto.label)
            walk(child)
    walk(at._tree)
    return out


def _run(at):
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_use_this_model_elsewhere(models_dir, monkeypatch):
    shutil.copytree(ROOT / "models" / SMALL, models_dir / SMALL)
    det = bundle_with(Determinant(name="corner_det"), "det")  # LiteRT's built-ins lack its determinant
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.session_state["model_name"] = SMALL
    _run(at)
    at.switch_page("app_pages/models.py")
    _run(at)
    assert any(h.value == "Use this model elsewhere" for h in at.subheader)
    picker = at.selectbox(key="export_model")
    assert picker.value == SMALL and set(picker.options) >= {f"Logistic regression, L2 ({SMALL})"}
    assert _downloads(at) == []  # nothing is built before it is asked for
    at.button(key="export_prepare_onnx").click()
    _run(at)
    assert [d.split(" (")[0] for d in _downloads(at)] == ["Download the onnx zip"]
    assert "MB)" in _downloads(at)[0]
    assert _downloads(_run(at)) == _downloads(at)  # a rerun (any other widget) keeps it, without converting again
    picker = at.selectbox(key="export_model").set_value(det)
    _run(at)
    assert _downloads(at) == []  # another model: asked for again
    at.button(key="export_prepare_litert").click()
    _run(at)
    assert [e.value for e in at.error] == [
        "This model cannot be saved as LiteRT: its layer 'corner_det' uses MatrixDeterminant, which LiteRT does "
        "not have. The other formats still work."]
    at.button(key="export_prepare_keras").click()
    _run(at)
    assert [d.split(" (")[0] for d in _downloads(at)] == ["Download the keras zip"]
    assert len(at.error) == 1  # the LiteRT sentence stays, said once, not converted again
    assert len(_run(at).error) == 1 and len(_downloads(at)) == 1
