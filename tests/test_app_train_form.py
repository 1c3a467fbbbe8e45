"""The Train page's form (ui/train/form.py) through AppTest: built from the settings' declaration, the Quick
preset by default for MNIST-like data, suggestions adapted to a small dataset, Enter never starts a training,
and the time a training takes said from a rate measured here (or not at all)."""
import pytest

from core.model import zoo
from core.training import jobs, estimate as train_estimate
from core.training.cpu_share import train_threads
from core.training.settings import OPTIONS, SMALL_DATA_BATCH
from conftest import needs_shared
from helpers import open_train_page

pytestmark = needs_shared


@pytest.fixture
def page(tmp_path, monkeypatch):
    for var, sub in (("HWLAB_MODELS_DIR", "models"), ("HWLAB_JOBS_DIR", "jobs"), ("HWLAB_CACHE_DIR", "cache")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    return open_train_page()


def widget_keys(at) -> set:
    return {w.key for kind in ("number_input", "selectbox", "checkbox", "text_input", "multiselect", "slider")
            for w in getattr(at, kind) if w.key}


def test_the_form_has_a_widget_for_every_setting_and_enter_does_not_submit(page):
    shown = widget_keys(page)
    hidden = {"augment", "class_room"}  # augment: its own widgets below; class_room: set by "Teach the model ..."
    assert {f"train_{name}" for name in OPTIONS if name not in hidden} <= shown
    assert {f"train_aug_{k}" for k in ("rotation", "shift", "zoom", "stroke")} <= shown
    forms = [b for b in page._tree.root.children.values() for b in _walk(b) if b.type == "form"]
    form = next(b for b in forms if b.proto.form.form_id == "train_form")
    assert form.proto.form.enter_to_submit is False  # only the Train button starts a training


def _walk(block):
    yield block
    for child in getattr(block, "children", {}).values():
        yield from _walk(child)


def test_mnist_opens_on_the_quick_preset_and_a_small_dataset_gets_adapted_suggestions(page):
    at = page
    assert at.selectbox(key="train_recipe").value == "quick" and at.selectbox(key="train_arch").value == "quicknet"
    assert at.number_input(key="train_epochs").value == zoo.get("quicknet").defaults["epochs"]
    assert at.number_input(key="train_adam_beta_1").value == zoo.get("quicknet").defaults["adam_beta_1"]
    at.selectbox(key="train_dataset").set_value("sklearn-digits").run()
    assert at.selectbox(key="train_recipe").value == "suggested"
    at.selectbox(key="train_arch").set_value("hwnet").run()
    assert at.number_input(key="train_batch_size").value == SMALL_DATA_BATCH
    assert at.number_input(key="train_epochs").value >= zoo.get("hwnet").defaults["epochs"]
    at.selectbox(key="train_dataset").set_value("mnist").run()
    assert at.selectbox(key="train_recipe").value == "quick" and at.selectbox(key="train_arch").value == "quicknet"
    assert jobs.list_jobs() == []


def test_the_time_it_takes_is_said_from_a_measured_rate_only(page):
    at = page
    assert not any("on this machine with the settings below" in i.value for i in at.info)
    assert any("has not been measured on this machine yet" in c.value for c in at.caption)
    parts = {"start_s": 4.0, "evaluate_s": 2.0, "drawn_s": 3.0, "save_s": 1.0}
    train_estimate.record("quicknet", images_per_s=2000.0, parts=parts, threads=str(train_threads()))
    at.run()
    said = [i.value for i in at.info if "on this machine with the settings below" in i.value]
    assert said and "About **40 s**" in said[0] and "2,000 images a second" in said[0]  # 10 s + 60,000 / 2,000
    assert "4 s to load and trace, 2 s to test, 3 s to measure drawn-input accuracy, 1 s to save" in said[0]
