"""core/training/cpu_share.py: a training job beside the app steps aside while the class draws."""
import time

from core.training import cpu_share


def test_the_app_marks_busy_and_the_mark_fades(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_JOBS_DIR", str(tmp_path / "jobs"))
    monkeypatch.setitem(cpu_share._state, "marked", 0.0)
    now = time.time()
    assert not cpu_share.app_is_busy(now)  # no mark yet
    cpu_share.mark_app_busy(now)
    assert cpu_share.app_is_busy(now + 1) and not cpu_share.app_is_busy(now + cpu_share.BUSY_WINDOW_S + 1)


def test_a_job_sleeps_as_long_as_its_batch_while_the_class_draws(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_JOBS_DIR", str(tmp_path / "jobs"))
    step = cpu_share.throttle_callback()

    def one_batch(i):
        t0 = time.perf_counter()
        step.on_train_batch_begin(i)
        time.sleep(0.05)  # the batch's work
        step.on_train_batch_end(i)
        return time.perf_counter() - t0

    assert one_batch(0) < 0.09  # nobody draws: full speed
    monkeypatch.setitem(cpu_share._state, "marked", 0.0)
    cpu_share.mark_app_busy()
    assert one_batch(5) >= 0.1  # the class draws: as long again asleep
