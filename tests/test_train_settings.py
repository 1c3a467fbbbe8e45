"""The one declaration of the training settings (core.train_settings): the command line, a job's command and
the Train page's form are built from it; suggestions adapt to a small dataset; the Quick preset; the time
left is said only once it is measured, and smoothed; the measured training-time estimate."""
import argparse
import json
import time
import shlex

import pytest

from core.model import zoo
from core.training import estimate as train_estimate, settings as train_settings
from core.cli import build_parser, main
from core.errors import BadSettings
from core.training.progress import TimeLeft
from core.training.settings import OPTIONS, PRESETS, Settings, command_line, from_arguments, suggested
from conftest import needs_shared


def train_args(*argv) -> argparse.Namespace:
    return build_parser().parse_args(["train", *argv])


def test_every_setting_has_a_flag_and_the_cli_names_none_of_them():
    a = train_args()
    assert set(OPTIONS) <= set(vars(a))  # one flag per declared setting, built from the declaration
    assert from_arguments(a) == Settings()  # no flag: the declared defaults
    cli = open(train_settings.__file__.replace("training/settings.py", "cli.py")).read()
    named = [name for name in OPTIONS if f'"--{name.replace("_", "-")}"' in cli]
    assert named == ["dataset"]  # `evaluate --dataset` only: no training setting is spelled out in cli.py


def test_a_jobs_command_line_parses_back_to_the_same_settings():
    s = Settings(dataset="emnist-bymerge", arch="hwnet", epochs=3, batch_size=64, learning_rate=0.002,
                 augment={"rotation": 8.0}, drawn_eval=False, emnist_sibling=True, title="My net", limit=500,
                 adam_beta_1=0.8)
    cmd = command_line(vars(s))
    argv = shlex.split(cmd)
    assert argv[:4] == ["python", "-m", "core", "train"]
    assert from_arguments(train_args(*argv[4:])) == s


def test_the_quick_preset_fills_what_the_flags_leave():
    s = from_arguments(train_args("--preset", "quick"))
    assert s.arch == PRESETS["quick"]["arch"] == "quicknet" and s.validation_fraction == 0.0
    r = s.resolved(n_train=60000)
    d = zoo.get("quicknet").defaults
    assert (r.epochs, r.batch_size, r.learning_rate, r.adam_beta_1, r.adam_beta_2) == \
        (d["epochs"], d["batch_size"], d["learning_rate"], d["adam_beta_1"], d["adam_beta_2"])
    assert from_arguments(train_args("--preset", "quick", "--epochs", "2", "--arch", "hwnet")).epochs == 2
    assert from_arguments(train_args("--preset", "quick", "--arch", "hwnet")).arch == "hwnet"
    with pytest.raises(BadSettings, match="Unknown preset 'slow'"):
        train_settings.with_preset("slow", {})
    with pytest.raises(SystemExit):  # argparse's own sentence and exit code 2
        train_args("--preset", "slow")


@pytest.mark.parametrize("arch", list(zoo.ARCHS))
def test_suggestions_adapt_to_a_small_dataset_only(arch):
    big, small = suggested(arch, 60000), suggested(arch, 1437)
    assert big == suggested(arch)  # a large dataset: the architecture's own suggestions
    assert small["batch_size"] == min(big["batch_size"], train_settings.SMALL_DATA_BATCH)
    steps = -(-(1437 - 144) // small["batch_size"])  # 10% held out for validation
    assert small["epochs"] * steps >= train_settings.SMALL_DATA_STEPS and small["epochs"] >= big["epochs"]


def test_resolving_keeps_what_was_given_and_fills_the_rest():
    r = Settings(arch="hwnet", epochs=3).resolved(n_train=1000)
    assert r.epochs == 3 and r.batch_size == train_settings.SMALL_DATA_BATCH
    with pytest.raises(BadSettings, match="Adam's beta 1 must be at least 0 and below 1, not 1.0"):
        Settings(adam_beta_1=1.0).resolved()


def test_time_left_waits_for_enough_batches_then_is_smoothed():
    t = TimeLeft(total_batches=1000)
    said = [t.update(done, 100.0 + done * 0.1) for done in range(1, 25)]  # 10 batches a second
    assert all(s is None for s in said)  # warm-up, then fewer than MIN_BATCHES measured: no guess
    eta = None
    for done in range(25, 60):
        eta = t.update(done, 100.0 + done * 0.1)
    assert eta == pytest.approx((1000 - 59) / 10, rel=0.01)
    slow = t.update(70, 100.0 + 59 * 0.1 + 11.0)  # one slow stretch: 1 batch a second for 11 batches
    assert eta * 0.9 < slow < (1000 - 70) / 1.0 / 3  # it moves, but far less than a raw rate would


def test_the_estimate_adds_every_measured_part_of_a_run(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_CACHE_DIR", str(tmp_path))
    assert train_estimate.estimate("quicknet", 60000, "1") is None  # never measured here: no guess
    parts = {"start_s": 4.0, "evaluate_s": 2.0, "drawn_s": 3.0, "save_s": 5.0}
    train_estimate.record("quicknet", images_per_s=3000.0, parts=parts, threads="1")
    est = train_estimate.estimate("quicknet", 60000, "1")
    assert est["seconds"] == pytest.approx(4 + 2 + 3 + 5 + 20.0) and est["parts"] == parts
    assert train_estimate.estimate("quicknet", 60000, "1", drawn_eval=False)["seconds"] == pytest.approx(4 + 2 + 5 + 20)
    assert train_estimate.estimate("quicknet", 60000, "all") is None  # another thread cap, another rate
    # a run without drawn-input accuracy keeps the last measured drawn part; with none ever, no guess for it
    train_estimate.record("quicknet", images_per_s=2000.0, parts={**parts, "drawn_s": None, "save_s": 1.0}, threads="1")
    assert train_estimate.estimate("quicknet", 60000, "1")["seconds"] == pytest.approx(4 + 2 + 3 + 1 + 30.0)
    train_estimate.record("hwnet", images_per_s=2000.0, parts={**parts, "drawn_s": None}, threads="1")
    assert train_estimate.estimate("hwnet", 60000, "1") is None
    assert train_estimate.estimate("hwnet", 60000, "1", drawn_eval=False)["seconds"] == pytest.approx(4 + 2 + 5 + 30)



def test_a_rate_measured_on_an_earlier_version_of_the_architecture_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_CACHE_DIR", str(tmp_path))
    parts = {"start_s": 4.0, "evaluate_s": 2.0, "drawn_s": 3.0, "save_s": 5.0}
    train_estimate.record("quicknet", images_per_s=3000.0, parts=parts, threads="1")
    assert train_estimate.estimate("quicknet", 60000, "1") is not None
    assert zoo.fingerprint("quicknet") != zoo.fingerprint("seed002_cnn")  # what each builds, told apart
    # the same name building other layers (an earlier QuickNet): its record no longer counts
    monkeypatch.setattr(zoo, "fingerprint", lambda arch: "earlier")
    assert train_estimate.estimate("quicknet", 60000, "1") is None
    train_estimate.record("quicknet", images_per_s=2000.0, parts={**parts, "drawn_s": None}, threads="1")
    # the new record keeps none of the earlier version's parts (its drawn-input part is not this one's)
    assert train_estimate.estimate("quicknet", 60000, "1") is None
    assert train_estimate.estimate("quicknet", 60000, "1", drawn_eval=False)["seconds"] == pytest.approx(4 + 2 + 5 + 30)


@needs_shared
def test_rendering_the_pen_drawings_is_said_and_is_not_counted_as_a_part_of_a_run(models_dir, tmp_path, monkeypatch):
    """A machine's first run with drawn-input accuracy renders the pen drawings (minutes for UNIPEN's, once):
    it says so while it renders, and its record keeps the drawn-input part without the rendering, or the
    Train page would promise every later run those minutes (it said 707 s for a 40 s run)."""
    import gzip
    import itertools

    from core.datasets import drawn
    from core.training import run as training

    monkeypatch.setenv("HWLAB_CACHE_DIR", str(tmp_path / "cache"))
    small = tmp_path / "pen.jsonl.gz"  # 60 drawings of the real file stand for both sources
    with gzip.open(drawn.source_path("pendigits"), "rt") as src, gzip.open(small, "wt") as out:
        out.writelines(itertools.islice(src, 60))
    monkeypatch.setattr(drawn, "source_path", lambda source: small)
    real = drawn.rendered

    def slow(source, style, workers=None, progress=None):  # rendering that takes a while, as it does
        if not drawn.is_rendered(source, style):
            time.sleep(1.5)
        return real(source, style, workers, progress)
    monkeypatch.setattr(drawn, "rendered", slow)

    def train(name):
        events = []
        training.train(Settings(dataset="mnist", arch="quicknet", limit=8000, name=name), events.append)
        return [e["message"] for e in events if e["event"] == "status" and "pen drawings" in e["message"]]

    said = train("first")
    assert said and said[0].startswith("rendering the pendigits pen drawings, once on this machine")
    first = train_estimate.measured("quicknet", "all")["drawn_s"]
    assert first < 1.0, first  # the rendering took 3 s: it is not in the part
    assert train("second") == []  # kept: nothing to render, nothing said
    assert train_estimate.measured("quicknet", "all")["drawn_s"] < 1.0


@needs_shared
def test_cli_trains_the_quick_preset_and_records_this_machines_rate(models_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HWLAB_CACHE_DIR", str(tmp_path / "cache"))
    started = time.perf_counter()
    code = main(["train", "--preset", "quick", "--limit", "8000", "--no-drawn-eval", "--name", "quick-try"])
    whole_call = time.perf_counter() - started
    assert code == 0, capsys.readouterr().err
    card = json.loads((models_dir / "quick-try" / "card.json").read_text())
    t, d = card["training"], zoo.get("quicknet").defaults
    assert card["architecture"]["name"] == "quicknet" and t["epochs"] == d["epochs"] == 1
    assert (t["batch_size"], t["adam_beta_1"], t["adam_beta_2"]) == (d["batch_size"], d["adam_beta_1"], d["adam_beta_2"])
    assert t["validation_fraction"] == 0.0 and card["test_accuracy"] > 0.8  # 8,000 images, one pass
    assert "--preset quick" in card["command"]
    rate = train_estimate.measured("quicknet", "all")  # steady rate and the run's parts, for the Train page
    assert rate["images_per_s"] > 0 and all(rate[k] > 0 for k in ("start_s", "evaluate_s"))
    assert rate["save_s"] >= 0 and rate["map_s"] > 0  # the save (to 0.1 s), and the map the CLI drew after it
    # the parts leave nothing of the run out (loading, tracing, evaluation, save and map): the estimate of the
    # run just made, from its own record, is the time the call took
    est = train_estimate.estimate("quicknet", card["training"]["limit"] or 8000, "all", drawn_eval=False)
    assert 0.7 * whole_call < est["seconds"] < 1.3 * whole_call, (est, whole_call)


def test_teaching_the_class_hand_from_the_command_line_trains_the_top_layers_as_the_page_does():
    from core.classroom import finetune

    s = from_arguments(train_args("--dataset", "class-drawings", "--init-from", "mnist-keras-example-cnn"))
    page = finetune.settings_for("mnist-keras-example-cnn")
    assert s.train_last == train_settings.CLASS_TRAIN_LAST == page["train_last"]
    assert not s.drawn_eval and s.arch == "seed002_cnn"  # the bundle's own network
    assert from_arguments(train_args("--dataset", "class-drawings", "--init-from", "mnist-keras-example-cnn",
                                     "--train-last", "5")).train_last == 5  # a flag wins
    assert from_arguments(train_args("--dataset", "mnist")).train_last is None  # elsewhere: every layer


def test_every_commands_help_prints(capsys):
    """argparse formats help with %: a preset titled "99% digits" once made `train --help` a traceback."""
    import re

    commands = re.search(r"\{([^}]*)\}", build_parser().format_usage()).group(1).split(",")
    assert "train" in commands and "worker" in commands
    for name in commands:
        with pytest.raises(SystemExit) as done:
            main([name, "--help"])
        assert done.value.code == 0, name
        assert f"usage: python -m core {name}" in capsys.readouterr().out
