"""What the browser remembers in its link (ui/remembered.py): a new session, as after a server restart,
starts from the link's nickname and model; a typed nickname and a picked model go into the link."""
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, needs_shared

APP = str(ROOT / "app.py")


def _param(at, name):
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


@needs_shared
def test_a_new_session_starts_from_the_links_nickname_and_model(monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["nickname"] = "ann"
    at.query_params["model"] = "mnist-hwnet"
    at.run()
    assert not at.exception
    assert at.text_input(key="class_nickname_field").value == "ann"
    assert at.sidebar.selectbox(key="model_name").value == "mnist-hwnet"


@needs_shared
def test_a_typed_nickname_and_a_picked_model_go_into_the_link(monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert _param(at, "nickname") is None
    at.text_input(key="class_nickname_field").input("bob").run()
    at.sidebar.selectbox(key="model_name").set_value("mnist-hwnet-pen").run()
    assert not at.exception
    assert (_param(at, "nickname"), _param(at, "model")) == ("bob", "mnist-hwnet-pen")
    at.text_input(key="class_nickname_field").input("").run()  # a cleared name leaves the link
    assert _param(at, "nickname") is None
