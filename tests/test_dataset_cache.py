"""ui.state holds the one dataset cache the Datasets and Evaluation pages (and the SHAP background) share."""
import pytest

from core.errors import HWLabError


def test_every_page_gets_the_same_read_only_copy(tmp_path, monkeypatch):
    import ui.state

    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))  # sklearn-digits is bundled: no files needed
    ds = ui.state.dataset("sklearn-digits")
    assert ui.state.dataset_on_disk("sklearn-digits") is ds  # the Evaluation page's way in: one copy
    assert not ds.train.x.flags.writeable and not ds.test.y.flags.writeable
    assert ui.state.dataset_on_disk("mnist") is None  # not in the empty folder: None, not an error
    with pytest.raises(HWLabError):
        ui.state.dataset("mnist")  # the Datasets page says why


def test_the_cache_key_changes_when_the_files_do(tmp_path, monkeypatch):
    from core import datasets

    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    before = datasets.signature("kaggle-digit-recognizer")
    (tmp_path / "kaggle-digit-recognizer").mkdir()
    (tmp_path / "kaggle-digit-recognizer" / "train.csv").write_text("label\n")
    assert datasets.signature("kaggle-digit-recognizer") != before
