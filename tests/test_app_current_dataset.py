"""One current dataset: the Datasets and Train pages start from the sidebar's choice, and follow it when it
changes; in between, a page's own picker keeps what the user chose there."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from conftest import needs_shared

ROOT = Path(__file__).resolve().parent.parent


@needs_shared
def test_pages_start_from_the_sidebars_dataset(monkeypatch, tmp_path):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    monkeypatch.setenv("HWLAB_JOBS_DIR", str(tmp_path / "jobs"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["model_name"] = "emnist-letters-hwnet"  # the sidebar: EMNIST Letters
    at.run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="train_dataset").value == "emnist-letters"
    at.selectbox(key="train_dataset").set_value("sklearn-digits").run()  # the page's own choice is kept...
    assert at.selectbox(key="train_dataset").value == "sklearn-digits"
    at.session_state["picker_dataset"] = "mnist"  # ... until the sidebar's dataset changes
    at.run()
    assert at.selectbox(key="train_dataset").value == "mnist"
