"""Durability: a model.keras cut short is listed as broken (inspect, the registry's listing), a bundle name
with a trailing newline is refused, and a new bundle is on disk (every file and folder synced) before its
name appears in the models folder."""
import json
import os
import zipfile

import pytest

from core import registry
from core.errors import BadModel


def _fake_bundle(folder, name="fake"):
    """A bundle folder whose model.keras is a zip shaped like Keras's (config.json and weights)."""
    d = folder / name
    d.mkdir(parents=True)
    with zipfile.ZipFile(d / "model.keras", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", "{}")
        z.writestr("config.json", json.dumps({"class_name": "Sequential"}))
        z.writestr("model.weights.h5", os.urandom(200_000))  # random: does not compress
    (d / "card.json").write_text(json.dumps({"name": name, "title": name, "dataset": "mnist", "classes": ["0", "1"]}))
    return d


def test_a_model_file_cut_short_is_broken_in_inspect_and_the_listing(models_dir):
    whole = _fake_bundle(models_dir, "whole")
    cut = _fake_bundle(models_dir, "cut")
    data = (cut / "model.keras").read_bytes()
    (cut / "model.keras").write_bytes(data[: len(data) // 2])
    assert registry.inspect(whole.name).ok
    b = registry.inspect("cut")
    assert not b.ok and "model.keras cannot be loaded" in b.error and "cut short" in b.error
    listed = {b.name: b for b in registry.list_bundles()}
    assert listed["whole"].ok and not listed["cut"].ok
    with pytest.raises(BadModel, match="cut short"):
        registry.load_model("cut")


def test_a_zip_that_is_not_a_keras_model_is_broken(models_dir):
    d = _fake_bundle(models_dir, "other")
    with zipfile.ZipFile(d / "model.keras", "w") as z:
        z.writestr("notes.txt", "hello")
    assert "not a Keras model file" in registry.inspect("other").error


@pytest.mark.parametrize("name", ["mnist-hwnet\n", "mnist\r", "mnist\n\n"])
def test_a_name_with_a_trailing_newline_is_refused(name, models_dir):
    with pytest.raises(BadModel, match="not a valid model name"):
        registry.check_name(name)


class _FakeModel:
    def save(self, path):
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("config.json", "{}")
            z.writestr("model.weights.h5", b"w" * 100)


def test_a_bundle_is_synced_to_disk_before_it_is_renamed_into_place(models_dir, monkeypatch):
    events = []
    real_fsync, real_rename = os.fsync, os.rename

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def rename(src, dst):
        events.append(("rename", str(src), str(dst)))
        real_rename(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", rename)
    card = {"name": "synced", "title": "t", "dataset": "mnist", "classes": ["0", "1"]}
    name = registry.save_bundle(_FakeModel(), card, [{"epoch": 1, "loss": 0.5}], evaluation={"accuracy": 1.0})
    renames = [i for i, e in enumerate(events) if e[0] == "rename"]
    assert len(renames) == 1
    at, (_, tmp, final) = renames[0], events[renames[0]]
    synced_before = {e[1] for e in events[:at] if e[0] == "fsync"}
    files = {"model.keras", "card.json", "history.csv", "evaluation.json"}
    assert {os.path.join(tmp, f) for f in files} <= synced_before  # every file of the bundle
    assert tmp in synced_before  # and its folder's entries
    assert ("fsync", str(models_dir)) in events[at + 1:]  # the rename itself
    assert final.endswith(name) and registry.inspect(name).ok
