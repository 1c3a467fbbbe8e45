"""The zoo and the training library: every architecture trains, saves and reloads (safe mode) with the same
outputs; settings are checked before any work with a sentence; augmentation and the one-cycle schedule."""
import json
import shutil

import numpy as np
import pytest

from core import datasets, registry
from core.model import zoo
from core.training import jobs, run as training
from core.model.compiled import compiled_predict
from core.cli import main
from core.errors import BadSettings, HWLabError
from conftest import ROOT, needs_shared


@pytest.fixture(scope="module")
def tiny_slice():
    ds = datasets.load("mnist", download=False)
    return ds.train.x[:96, ..., None], ds.train.y[:96], ds.test.x[:32, ..., None]


def test_the_zoo_has_every_seed_model_and_ours():
    kinds = {n: a.kind for n, a in zoo.ARCHS.items()}
    for name in ("logreg_l1", "logreg_l2", "logreg_elasticnet", "mlp", "mlp_dropout", "seed000_cnn1", "seed000_cnn2",
                 "seed002_cnn", "seed004_cnn", "seed004_cnn_aug", "seed003_deep_bn", "hwnet"):
        assert name in kinds, name
    assert zoo.ARCHS["seed004_cnn_aug"].defaults["augment"] and zoo.ARCHS["seed003_deep_bn"].defaults["augment"]
    assert not zoo.ARCHS["seed004_cnn"].defaults["augment"]
    with pytest.raises(BadSettings, match="Unknown architecture"):
        zoo.get("resnet9000")


@needs_shared
@pytest.mark.parametrize("arch", list(zoo.ARCHS))
def test_every_architecture_trains_saves_and_reloads_identically(arch, tiny_slice, models_dir):
    import keras

    x, y, xt = tiny_slice
    keras.utils.set_random_seed(0)
    core_model = zoo.build(arch, 10)
    assert tuple(core_model.input.shape[1:]) == (28, 28, 1) and tuple(core_model.output.shape[1:]) == (10,)
    a = zoo.get(arch)
    trainer = training.trainer_for(core_model, a.defaults.get("augment", {}), seed=0)
    trainer.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    before = [w.copy() for w in core_model.get_weights()]
    hist = trainer.fit(x, y, batch_size=32, epochs=1, verbose=0)  # three steps, augmentation included
    assert np.isfinite(hist.history["loss"][0])
    assert any(not np.array_equal(b, w) for b, w in zip(before, core_model.get_weights())), "nothing was learned"
    # Only the pure model is saved: no scaling, no augmentation inside the bundle.
    assert not any(layer.name in ("augment", "to_unit") for layer in core_model.layers)
    card = {"name": f"t-{arch}", "title": a.title, "dataset": "mnist", "classes": datasets.DIGITS,
            "architecture": {"name": arch}}
    name = registry.save_bundle(core_model, card, [{"epoch": 1, "loss": hist.history["loss"][0]}])
    loaded = registry.load_model(name)  # Keras safe mode
    xf = xt.astype(np.float32) / 255.0
    np.testing.assert_array_equal(np.asarray(core_model(xf, training=False)), np.asarray(loaded(xf, training=False)))
    assert registry.read_history(name)[0]["epoch"] == 1


@pytest.mark.parametrize("change, message", [
    ({"epochs": 0}, "Epochs must be a whole number from 1 to 1000, not 0"),
    ({"epochs": True}, "Epochs must be"),
    ({"epochs": "5"}, "Epochs must be"),
    ({"batch_size": 10**9}, "Batch size must be a whole number from 1 to 8192"),
    ({"batch_size": 0}, "Batch size must be"),
    ({"learning_rate": -0.1}, "The learning rate must be a positive number"),
    ({"learning_rate": float("nan")}, "The learning rate must be a positive number"),
    ({"learning_rate": 0}, "The learning rate must be a positive number"),
    ({"arch": "nope"}, "Unknown architecture 'nope'"),
    ({"dataset": "cifar10"}, "Unknown dataset 'cifar10'"),
    ({"optimizer": "lbfgs"}, "Optimizer must be one of adam, rmsprop, sgd"),
    ({"schedule": "cosine"}, "Schedule must be one of"),
    ({"validation_fraction": 0.95}, "validation fraction must be at least 0 and below 0.9"),
    ({"validation_fraction": "x"}, "validation fraction"),
    ({"early_stopping": -1}, "Early-stopping patience"),
    ({"augment": {"rotation": 500}}, "Augmentation rotation must be 0 to 180"),
    ({"augment": {"blur": 1}}, "Unknown augmentation 'blur'"),
    ({"augment": [1, 2]}, "Augmentation must be a mapping"),
    ({"limit": 5}, "A training limit must be at least 10"),
    ({"seed": -3}, "The seed must be"),
    ({"pen_repeat": 0}, "Pen repeat must be 1 to 10"),
    ({"pen_sources": "unipen,myfriends"}, "Pen sources must be among"),
    ({"mixed_precision": "maybe"}, "Mixed precision must be auto, on or off"),
    ({"emnist_sibling": True}, "Only EMNIST byclass and bymerge have a sibling file to add, not mnist"),
    ({"emnist_sibling": "yes"}, "emnist_sibling must be on or off"),
    ({"prior_correction": 1}, "prior_correction must be on or off"),
])
def test_settings_out_of_range_are_refused_with_a_sentence(change, message):
    with pytest.raises(BadSettings, match=message.replace("(", r"\(")):
        training.Settings(**change).resolved()


def test_unknown_setting_and_bad_name_are_refused():
    with pytest.raises(BadSettings, match="Unknown training settings: colour"):
        training.Settings.from_dict({"colour": "blue"})
    with pytest.raises(HWLabError, match="not a valid model name"):
        training.Settings(name="../../etc").resolved()


def test_defaults_resolve_to_the_architectures_suggestions():
    s = training.Settings().resolved()
    assert (s.arch, s.epochs, s.batch_size, s.learning_rate, s.schedule, s.augment) == \
        ("seed002_cnn", 15, 128, 1e-3, "constant", {})
    h = training.Settings(arch="hwnet").resolved()
    assert h.schedule == "one-cycle" and h.augment["rotation"] > 0
    assert training.Settings(arch="hwnet", augment={}, epochs=2).resolved().augment == {}


def test_cli_train_refuses_bad_settings_and_a_busy_machine(models_dir, monkeypatch, capsys):
    code = main(["train", "--augment", "{rotation: 10}"])
    assert code == 2 and "--augment must be JSON" in capsys.readouterr().err
    code = main(["train", "--validation-fraction", "2"])
    assert code == 2 and "validation fraction" in capsys.readouterr().err
    with jobs.exclusive("another trainer"):  # the Train page's lock, held here
        code = main(["train", "--epochs", "1", "--limit", "100", "--no-drawn-eval"])
    err = capsys.readouterr().err
    assert code == 2 and "already running" in err and "another trainer" in err
    assert list(models_dir.iterdir()) == []


def test_cli_archs_lists_the_zoo(capsys):
    assert main(["archs"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(zoo.ARCHS)
    assert all(r["title"] and r["parameters"] > 0 and "defaults" in r for r in rows)


def test_augmentation_is_random_in_training_and_identity_otherwise():
    from core.training.augment import augmenter

    x = np.zeros((4, 28, 28, 1), np.float32)
    x[:, 8:20, 12:16] = 1.0
    aug = augmenter({"rotation": 20, "shift": 0.1, "zoom": 0.1, "stroke": 0.5}, seed=1)
    np.testing.assert_array_equal(np.asarray(aug(x, training=False)), x)
    out = np.asarray(aug(x, training=True))
    assert out.shape == x.shape and out.min() >= -1e-6 and out.max() <= 1 + 1e-6
    assert not np.allclose(out[0], x[0]) and not np.allclose(out[0], out[1])  # each image its own transform


def test_one_cycle_warms_up_then_anneals():
    sched = training._one_cycle(3e-3, 1000)
    lr = [float(sched(step)) for step in (0, 150, 300, 650, 1000)]
    assert lr[0] == pytest.approx(3e-3 / 25, rel=1e-3) and lr[2] == pytest.approx(3e-3, rel=1e-3)
    assert lr[0] < lr[1] < lr[2] > lr[3] > lr[4] and lr[4] < 1e-6


def test_device_info_names_the_device():
    d = training.device_info()
    assert d["kind"] in ("cpu", "gpu") and d["name"] and d["backend"]


@needs_shared
def test_fine_tuning_from_a_model_that_saw_the_test_images_is_refused(models_dir):
    # The shipped letters model trained on a re-split of the byclass test file that differs from
    # byclass's own: thousands of byclass's held-out images. Digits share no image with letters.
    shutil.copytree(ROOT / "models" / "emnist-letters-hwnet", models_dir / "emnist-letters-hwnet")
    before = sorted(p.name for p in models_dir.iterdir())
    with pytest.raises(BadSettings, match=r"trained on [\d,]+ of the [\d,]+ images held out to test emnist-byclass"):
        training.train(training.Settings(dataset="emnist-byclass", arch="hwnet", epochs=1, limit=64,
                                         init_from="emnist-letters-hwnet", drawn_eval=False))
    assert sorted(p.name for p in models_dir.iterdir()) == before
    digits = training.Settings(dataset="emnist-digits", arch="hwnet", init_from="emnist-letters-hwnet").resolved()
    training.check_init_from(digits, datasets.load("emnist-digits", download=False))  # no overlap: allowed


def test_prior_shift_moves_a_model_to_the_datasets_own_class_balance():
    trained = np.array([0] * 900 + [1] * 100)  # class 1 rare in training (e.g. no sibling images of it)
    target = np.array([0] * 500 + [1] * 500)  # as common as class 0 in the dataset and its test set
    shift = training.prior_shift(trained, target, 2)
    assert shift[1] - shift[0] == pytest.approx(np.log(9), rel=0.01)
    # An image the model finds 70/30 for class 0 only because class 1 was rare in training: after the
    # shift it is read as class 1 (its evidence, 0.3/0.1 against 0.7/0.9, favours 1).
    assert np.argmax(np.log([0.7, 0.3]) + shift) == 1
    assert training.prior_shift(target, target, 2) == pytest.approx(0)


@needs_shared
def test_prior_correction_lands_in_the_saved_model(models_dir, monkeypatch):
    # A shift that favours class 3 overwhelmingly must make every saved prediction a 3: proof that the
    # correction is written into the bundle's logits, not only computed.
    monkeypatch.setattr(training, "prior_shift", lambda trained, target, n: np.eye(n)[3] * 100.0)
    name = training.train(training.Settings(dataset="sklearn-digits", arch="mlp", epochs=1, limit=200,
                                            drawn_eval=False, prior_correction=True))
    probs = compiled_predict(registry.load_model(name))(np.random.default_rng(0).random((8, 28, 28, 1)))
    assert (probs.argmax(1) == 3).all()
    assert "class balance" in registry.inspect(name).card["data"]["trained_on"]


@needs_shared
def test_train_last_keeps_the_lower_layers_and_trains_the_top(models_dir):
    # The class fine-tuning's speed comes from this: the layers below the last N keep their weights (and
    # batch-norm statistics) exactly, the last N learn.
    start = training.train(training.Settings(dataset="sklearn-digits", arch="quicknet", epochs=1, limit=128,
                                             drawn_eval=False, name="start"))
    tuned = training.train(training.Settings(dataset="sklearn-digits", arch="quicknet", epochs=1, limit=128,
                                             drawn_eval=False, init_from=start, train_last=3, name="tuned"))
    a, b = registry.load_model(start), registry.load_model(tuned)
    weighted = [layer.name for layer in a.layers if layer.weights]
    for name in weighted[:-3]:
        for wa, wb in zip(a.get_layer(name).get_weights(), b.get_layer(name).get_weights()):
            np.testing.assert_array_equal(wa, wb, err_msg=name)
    assert any(not np.array_equal(wa, wb) for name in weighted[-3:]
               for wa, wb in zip(a.get_layer(name).get_weights(), b.get_layer(name).get_weights()))
    assert registry.inspect(tuned).card["training"]["train_last"] == 3
