"""The Train page through Streamlit's AppTest: a setting out of range is said in a sentence and starts
nothing; a tiny job is started from the button, followed, seen by another browser session, and when it
ends its model is in the sidebar's model picker with its test accuracy, picked only when "Use it now" is pressed."""
import shutil
import signal

import pytest
from streamlit.testing.v1 import AppTest

from core.training import jobs
from conftest import ROOT, needs_shared
from helpers import open_train_page

pytestmark = needs_shared


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    models, jobs_dir = tmp_path / "models", tmp_path / "jobs"
    models.mkdir()
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    monkeypatch.setenv("HWLAB_JOBS_DIR", str(jobs_dir))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    from ui.state import bundles

    bundles.clear()
    yield models, jobs_dir
    bundles.clear()
    for job in jobs.list_jobs():
        if not job.finished and job.pid:
            jobs._signal_group(job.pid, signal.SIGKILL)


def texts(at) -> str:
    return "\n".join([e.value for e in at.markdown] + [e.value for e in at.success] + [e.value for e in at.error]
                     + [e.value for e in at.info] + [e.value for e in at.caption] + [e.value for e in at.warning])


def test_a_setting_out_of_range_is_refused_and_starts_nothing(dirs):
    at = open_train_page()
    assert "No training yet" in texts(at)
    at.number_input(key="train_limit").set_value(5)
    at.button(key="FormSubmitter:train_form-Train").click().run()
    assert not at.exception
    assert any("A training limit must be at least 10 examples" in e.value for e in at.error)
    assert jobs.list_jobs() == []


def test_sibling_images_for_a_dataset_without_a_sibling_are_refused_in_a_sentence(dirs):
    at = open_train_page()
    at.checkbox(key="train_emnist_sibling").check()
    at.button(key="FormSubmitter:train_form-Train").click().run()
    assert any("Only EMNIST byclass and bymerge have a sibling file to add, not mnist" in e.value for e in at.error)
    assert jobs.list_jobs() == []


def test_train_a_tiny_model_from_the_page_and_find_it_in_the_picker(dirs, tiny_bundle):
    models, _ = dirs
    shutil.copytree(tiny_bundle[0] / tiny_bundle[1], models / tiny_bundle[1])  # the model the session reads with
    at = open_train_page()
    assert at.session_state["model_name"] == tiny_bundle[1]
    at.selectbox(key="train_arch").set_value("seed002_cnn").run()
    assert at.number_input(key="train_epochs").value == 15  # the architecture's suggestion
    at.number_input(key="train_epochs").set_value(1)
    at.number_input(key="train_limit").set_value(1000)
    at.checkbox(key="train_drawn_eval").uncheck()
    at.text_input(key="train_name").set_value("from-the-page")
    at.button(key="FormSubmitter:train_form-Train").click().run()
    assert not at.exception, at.exception
    assert not at.main.error, [e.value for e in at.main.error]  # (the sidebar says the empty folder has no model)
    started = jobs.list_jobs()
    assert len(started) == 1 and started[0].settings["limit"] == 1000 and started[0].settings["epochs"] == 1
    job_id = started[0].id
    assert job_id in texts(at)

    other = open_train_page()  # another browser session sees the same job
    assert job_id in texts(other)

    job = jobs.wait(job_id, timeout=300)
    assert job.state == "done", (job.message, job.log_tail())
    for _ in range(3):  # the live panel notices the end and reruns the app once
        at.run()
    assert not at.exception, at.exception
    assert any("from-the-page" in s.value for s in at.success)
    assert any(m.label == "Test accuracy" for m in at.metric)
    assert len(at.get("plotly_chart")) >= 2  # loss and accuracy curves
    assert (models / "from-the-page" / "card.json").is_file()
    # A finished training does not switch the session's model by itself; "Use it now" does (the sidebar reads
    # these two keys) ...
    assert at.session_state["model_name"] == tiny_bundle[1]
    use = [b for b in at.button if b.label == "Use it now"]
    assert use, [b.label for b in at.button]
    use[0].click().run()
    assert at.session_state["model_name"] == "from-the-page" and at.session_state["picker_dataset"] == "mnist"
    # ... and every session finds it in the sidebar's picker. (AppTest drops the sidebar after switch_page,
    # so the picker is read on the app's first page.)
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    picker = fresh.sidebar.selectbox(key="model_name")
    assert len(picker.options) == 2 and any("(from-the-page)" in o for o in picker.options)


def test_train_while_the_machine_trains_joins_the_line_and_cancel_leaves_it(dirs, tmp_path, monkeypatch):
    from core.classroom.store import close_stores
    from core.serving import job_queue, queue_worker

    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    close_stores()
    started_workers = []
    monkeypatch.setattr(queue_worker, "ensure_worker", lambda: started_workers.append(1) or True)
    at = open_train_page()
    at.number_input(key="train_epochs").set_value(1)
    at.number_input(key="train_limit").set_value(256)
    with jobs.exclusive("python -m core train --dataset mnist"):  # a command-line training holds the machine
        at.button(key="FormSubmitter:train_form-Train").click().run()
        assert not at.exception, at.exception
        assert not at.main.error, [e.value for e in at.main.error]
        first = job_queue.waiting()
        assert len(first) == 1 and started_workers == [1]  # queued, and a worker asked for
        assert any("Queued: job " + first[0].id in t.value and "1st in line" in t.value for t in at.toast)
        at.button(key="FormSubmitter:train_form-Train").click().run()  # a second one queues behind it
        line = job_queue.waiting()
        assert [q.position for q in line] == [1, 2]
        shown = texts(at)
        assert "Waiting in line" in [h.value for h in at.subheader]
        assert f"1st in line** · job `{line[0].id}`" in shown and f"2nd in line** · job `{line[1].id}`" in shown

        other = open_train_page()  # another browser session (or app process) sees the same line
        assert f"2nd in line** · job `{line[1].id}`" in texts(other)
        other.button(key=f"cancel-line-{line[0].id}").click().run()
        assert [(q.id, q.position) for q in job_queue.waiting()] == [(line[1].id, 1)]
        assert jobs.get(line[0].id).state == "cancelled"
    assert jobs.holder() is None
    close_stores()
