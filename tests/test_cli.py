"""`python -m core`: JSON out, one line per picture, exit code 2 with a sentence for user errors."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from core.cli import main
from helpers import pen_digits

ROOT = Path(__file__).resolve().parent.parent


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def digit_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("digits")
    files = []
    for k, (label, rgba) in enumerate(pen_digits(2)):
        f = d / f"{k:02d}_{label}.png"
        Image.fromarray(rgba, "RGBA").save(f)
        files.append((str(f), label))
    return files


def test_models_lists_bundles_as_json(tiny_bundle, monkeypatch, capsys):
    models, name = tiny_bundle
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    code, out, _ = run_cli(capsys, "models")
    rows = json.loads(out)
    assert code == 0 and [r["name"] for r in rows] == [name]
    assert set(rows[0]) >= {"name", "title", "dataset", "classes", "test_accuracy", "drawn_accuracy"}
    assert rows[0]["dataset"] == "mnist" and 0.5 < rows[0]["test_accuracy"] <= 1


def test_predict_with_the_shipped_model_reads_drawn_digits(digit_files, monkeypatch, capsys):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    code, out, _ = run_cli(capsys, "predict", "--model", "mnist-hwnet", *[f for f, _ in digit_files])
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["file"] for r in rows] == [f for f, _ in digit_files]
    right = sum(r["label"] == label for r, (_, label) in zip(rows, digit_files))
    assert right >= len(rows) - 1
    for r in rows:
        assert len(r["top"]) == 3 and r["top"][0] == [r["label"], r["confidence"]]
        assert r["top"][0][1] >= r["top"][1][1] >= r["top"][2][1]


def test_unreadable_pictures_get_a_sentence_on_stderr_and_the_rest_is_predicted(tiny_bundle, digit_files, tmp_path,
                                                                               monkeypatch, capsys):
    models, name = tiny_bundle
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    bad = tmp_path / "bad.png"
    bad.write_text("not a picture")
    missing = tmp_path / "missing.png"
    files = [digit_files[0][0], str(bad), str(missing), digit_files[1][0]]
    code, out, err = run_cli(capsys, "predict", "--model", name, *files)
    rows = {r["file"]: r for r in map(json.loads, out.splitlines())}
    assert code == 2 and set(rows) == {digit_files[0][0], digit_files[1][0]}  # results only on stdout
    said = err.splitlines()  # one sentence a picture that could not be read, as every command says errors
    assert len(said) == 2 and all(line.startswith("error: ") for line in said)
    assert str(bad) in said[0] and str(missing) in said[1] and "Traceback" not in err
    assert rows[digit_files[0][0]]["label"] in [str(i) for i in range(10)]
    assert rows[digit_files[1][0]]["label"] in [str(i) for i in range(10)]


def test_predict_handles_thousands_of_files(tiny_bundle, digit_files, tmp_path, monkeypatch, capsys):
    models, name = tiny_bundle
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    src = Path(digit_files[0][0])
    files = []
    for k in range(1500):
        f = tmp_path / f"{k:04d}.png"
        f.symlink_to(src)
        files.append(str(f))
    code, out, _ = run_cli(capsys, "predict", "--model", name, *files)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 1500 and len({r["label"] for r in rows}) == 1


@pytest.mark.parametrize("model", ["no-such-model", "../../etc"])
def test_unknown_or_unsafe_model_name_exits_2(model, models_dir, capsys):
    code, out, err = run_cli(capsys, "predict", "--model", model, "x.png")
    assert code == 2 and out == "" and "error:" in err and "Traceback" not in err


def test_evaluate_reports_accuracy_on_the_test_set(tiny_bundle, monkeypatch, capsys):
    models, name = tiny_bundle
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    code, out, _ = run_cli(capsys, "evaluate", "--model", name, "--dataset", "mnist")
    r = json.loads(out)
    assert code == 0 and r["n"] == 10000
    card = json.loads((models / name / "card.json").read_text())
    assert abs(r["accuracy"] - card["test_accuracy"]) < 1e-4


def test_training_settings_out_of_range_exit_2_before_any_work(models_dir, capsys):
    for args in (["--epochs", "0"], ["--batch-size", "1000000000"], ["--learning-rate", "-1"], ["--arch", "nope"]):
        code, out, err = run_cli(capsys, "train", "--dataset", "mnist", *args)
        assert code == 2 and "error:" in err, args
    assert list(models_dir.iterdir()) == []


# core.cli.main in a process of its own, then which of TensorFlow and Keras it imported
LOADED_PROBE = ("import sys; from core.cli import main; code = main(sys.argv[1:]); "
                "print('loaded:', [m for m in ('tensorflow', 'keras') if m in sys.modules]); sys.exit(code)")


@pytest.mark.parametrize("command", [["evaluate", "--model", "mnist-mlp"], ["train", "--arch", "mlp"],
                                     ["lineup", "seven.png"]], ids=lambda c: c[0])
def test_an_unknown_dataset_is_said_before_tensorflow_loads(command):
    """Every command that takes --dataset checks the name first: a sentence in well under a second, not after
    the seconds of TensorFlow's import."""
    r = subprocess.run([sys.executable, "-c", LOADED_PROBE, *command, "--dataset", "no-such-dataset"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.splitlines() == ["error: Unknown dataset 'no-such-dataset'. Known: " + ", ".join(
        __import__("core.datasets", fromlist=["DATASETS"]).DATASETS) + "."], r.stderr
    assert r.stdout.strip() == "loaded: []", "TensorFlow was imported before the dataset name was checked"


def test_the_real_command_line(tiny_bundle, digit_files):
    models, name = tiny_bundle
    env = {**os.environ, "HWLAB_MODELS_DIR": str(models)}
    r = subprocess.run([sys.executable, "-m", "core", "predict", "--model", name, digit_files[0][0], "/nonexistent.png"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.returncode == 2 and len(lines) == 1 and "label" in lines[0]
    assert r.stderr == "error: cannot read /nonexistent.png: No such file or directory\n"  # and nothing else:
    # TensorFlow's start-up lines (oneDNN, absl) stay out of a user's terminal ...
    env_verbose = {**env, "HWLAB_VERBOSE": "1"}
    env_verbose.pop("TF_CPP_MIN_LOG_LEVEL", None)
    r = subprocess.run([sys.executable, "-m", "core", "predict", "--model", name, digit_files[0][0]], cwd=ROOT,
                       env=env_verbose, capture_output=True, text=True, timeout=300)
    # ... unless asked for (the README names HWLAB_VERBOSE): its INFO lines (the oneDNN one only on CPUs where
    # TensorFlow turns oneDNN on, not on this AMD EPYC, say)
    assert r.returncode == 0 and re.search(r"oneDNN|absl::InitializeLog|cpu_feature_guard", r.stderr), r.stderr
    r = subprocess.run([sys.executable, "-m", "core", "predict", "--model", "../../etc", "a.png"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "not a valid model name" in r.stderr


def test_training_into_a_log_writes_one_line_per_epoch(models_dir, capsys):
    """stderr captured (not a terminal), as in a log file: no carriage-return redraws, a line per epoch."""
    code, out, err = run_cli(capsys, "train", "--dataset", "mnist", "--arch", "logreg_l2", "--epochs", "2",
                             "--limit", "600", "--validation-fraction", "0.1", "--no-drawn-eval", "--name", "log-test")
    assert code == 0 and out.strip().splitlines()[-1] == "log-test"
    assert "\r" not in err
    assert [line.split(":")[0] for line in err.splitlines() if line.startswith("epoch ")] == ["epoch 1/2", "epoch 2/2"]
    assert not any(line.startswith("training ") for line in err.splitlines())  # no per-batch bar


@pytest.mark.parametrize("value", ["abc", "-5", "0"])
def test_settings_from_the_environment_out_of_range_are_one_sentence(value, models_dir, monkeypatch, capsys):
    from core.training import jobs
    from core.training.cpu_share import train_threads
    from core.errors import BadSettings
    from core.insight import feature_map

    monkeypatch.setenv("HWLAB_MAP_POINTS", value)
    assert feature_map.main(["mnist-hwnet"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: HWLAB_MAP_POINTS must be a whole number from 10 to 100,000, not {value!r}.\n"
    monkeypatch.delenv("HWLAB_MAP_POINTS")
    monkeypatch.setenv("HWLAB_TRAIN_THREADS", value)
    with pytest.raises(BadSettings, match="HWLAB_TRAIN_THREADS must be a whole number"):
        train_threads()
    monkeypatch.setenv("HWLAB_JOBS_DIR", str(models_dir.parent / "jobs"))
    with pytest.raises(BadSettings):  # a Train page job: the sentence, before any folder or process
        jobs.start({"dataset": "sklearn-digits", "arch": "mlp", "epochs": 1})
    assert not (models_dir.parent / "jobs").exists() or list((models_dir.parent / "jobs").iterdir()) == []


def test_feature_map_of_an_unknown_model_is_a_sentence(models_dir, capsys):
    from core.insight import feature_map

    assert feature_map.main(["no-such-model"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: There is no model called 'no-such-model'") and err.count("\n") == 1


def test_bad_pictures_and_labels_are_refused_before_the_model_is_loaded(tmp_path, monkeypatch, capsys):
    """A picture that cannot be read, or a label the model does not have, is said without loading TensorFlow and
    the model (seconds on a loaded machine, for an answer the card already gives)."""
    from core import registry

    monkeypatch.setenv("HWLAB_MODELS_DIR", str(Path(__file__).resolve().parent.parent / "models"))
    monkeypatch.setattr(registry, "Predictor", lambda name: pytest.fail("the model was loaded"))
    (tmp_path / "text.png").write_text("not a picture")
    code, _, err = run_cli(capsys, "predict", "--model", "mnist-hwnet", str(tmp_path / "text.png"))
    assert code == 2 and "is not a picture we can read" in err
    code, _, err = run_cli(capsys, "class", "add", "--model", "mnist-hwnet", "--label", "Z", "--student", "ann",
                           str(tmp_path / "text.png"))
    assert code == 2 and "'Z' is not one of the model's classes" in err
