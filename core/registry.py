"""Model bundles on disk: one folder per model under the models folder (config.models_dir()).

    <name>/model.keras        the pure model: float32 (N,28,28,1) in [0,1] -> probabilities
    <name>/card.json          the model card (see training.make_card)
    <name>/history.csv        per-epoch metrics of its training
    <name>/evaluation.json    confusion matrix, per-class report, most-confused pairs on its test set
    <name>/misclassified.npz  the test images it got wrong, with their labels and probabilities

Bundles are written to a temporary folder and renamed into place, so a reader never sees half of one
and a failed save leaves nothing behind. Names from users are checked before they touch a path.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from . import atomic, config
from .model.compiled import compiled_predict
from .errors import BadModel

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")  # always fullmatch: `$` lets a "\n" through
REQUIRED_CARD_FIELDS = ("name", "title", "dataset", "classes")


def check_name(name: str) -> str:
    """A bundle name is a plain folder name: letters, digits, '.', '_' and '-', no path parts."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or ".." in name:
        raise BadModel(f"{name!r} is not a valid model name (letters, digits, '.', '_' and '-' only).")
    return name


def bundle_dir(name: str) -> Path:
    return config.models_dir() / check_name(name)


@dataclass
class Bundle:
    name: str
    path: Path
    card: Optional[dict]
    error: Optional[str]  # why it cannot be used, or None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def title(self) -> str:
        return (self.card or {}).get("title", self.name)

    @property
    def mtime(self) -> float:
        try:
            return (self.path / "model.keras").stat().st_mtime
        except OSError:
            return 0.0


def _read_card(path: Path) -> dict:
    try:
        card = json.loads((path / "card.json").read_text())
    except FileNotFoundError:
        raise BadModel(f"{path.name}: card.json is missing.") from None
    except (OSError, ValueError) as exc:
        raise BadModel(f"{path.name}: card.json cannot be read ({exc}).") from None
    if not isinstance(card, dict) or any(k not in card for k in REQUIRED_CARD_FIELDS):
        raise BadModel(f"{path.name}: card.json lacks one of {', '.join(REQUIRED_CARD_FIELDS)}.")
    return card


def inspect(name: str) -> Bundle:
    """A bundle's card and whether it looks usable, without loading the model."""
    path = bundle_dir(name)
    if not path.is_dir():
        raise BadModel(f"There is no model called {name!r} in {config.models_dir()}.")
    try:
        card = _read_card(path)
    except BadModel as exc:
        return Bundle(name, path, None, str(exc))
    model = path / "model.keras"
    if not model.is_file() or model.stat().st_size == 0:
        return Bundle(name, path, card, f"{name}: model.keras is missing or empty.")
    broken = _broken_keras(model)
    if broken:
        return Bundle(name, path, card, f"{name}: model.keras cannot be loaded: it is {broken}. Train or copy the model again.")
    return Bundle(name, path, card, None)


def _broken_keras(model: Path) -> Optional[str]:
    """Why a .keras file (a zip of config.json and the weights) is not whole, from its zip directory only (a
    few reads, no loading), or None. A file cut short has lost its directory, which sits at the end."""
    try:
        with zipfile.ZipFile(model) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        return f"damaged or cut short ({exc})"
    names = {i.filename for i in infos}
    if "config.json" not in names or not any(n.endswith(".weights.h5") for n in names):
        return "not a Keras model file (no config.json or weights in it)"
    size = model.stat().st_size
    if any(i.header_offset + i.compress_size > size for i in infos):
        return "cut short (its files end past the end of the file)"
    return None


def list_bundles() -> list[Bundle]:
    """Every bundle folder, usable or not (those that are not say why), sorted by name."""
    base = config.models_dir()
    if not base.is_dir():
        return []
    out = []
    for p in sorted(base.iterdir()):
        if p.is_dir() and NAME_RE.fullmatch(p.name) and not p.name.startswith("."):
            out.append(inspect(p.name))
    return out


def rank(b: Bundle) -> tuple:
    """How the picker orders a dataset's bundles, best first when sorted in reverse: drawn-input accuracy
    (what a user drawing on the canvas gets), then test accuracy."""
    c = b.card or {}
    return (c.get("drawn_accuracy") or 0, c.get("test_accuracy") or 0)


DEFAULT_DATASET = "mnist"  # the app starts on its digits; the sidebar lists this dataset first


def default_for(dataset: str, bundles: Optional[list[Bundle]] = None) -> Optional[str]:
    """The best bundle of `dataset` (rank: drawn, then test accuracy), or None when there is none usable.
    `bundles`: a list_bundles() already read."""
    usable = [b for b in (list_bundles() if bundles is None else bundles) if b.ok and b.card.get("dataset") == dataset]
    return max(usable, key=rank).name if usable else None


def default_model(bundles: Optional[list[Bundle]] = None) -> Optional[str]:
    """The bundle the app starts with, the one decision the sidebar, the class and the CLI share: the best
    of DEFAULT_DATASET, else the best of any usable bundle; None when none is usable."""
    bundles = list_bundles() if bundles is None else bundles
    usable = [b for b in bundles if b.ok]
    return default_for(DEFAULT_DATASET, bundles) or (max(usable, key=rank).name if usable else None)


def arch_of(bundle: str) -> str:
    """The architecture a bundle was built with (`train --init-from NAME` without --arch trains that one).
    Raises BadModel for a bundle that is missing or broken."""
    b = inspect(bundle)
    if not b.ok:
        raise BadModel(b.error)
    return b.card.get("architecture", {}).get("name") or "seed002_cnn"


def load_model(name: str):
    """The bundle's keras.Model, loaded in Keras's safe mode (no arbitrary code from the file)."""
    import keras

    b = inspect(name)
    if not b.ok:
        raise BadModel(b.error)
    try:
        return keras.saving.load_model(b.path / "model.keras", compile=False, safe_mode=True)
    except Exception as exc:  # any failure to read the file is a broken bundle, said as such
        raise BadModel(f"{name}: model.keras cannot be loaded ({type(exc).__name__}: {exc}).") from None


class Predictor:
    """A loaded bundle ready for inference: classes, preprocessing style and a compiled call."""

    def __init__(self, name: str):
        self.bundle = inspect(name)
        self.model = load_model(name)
        self.card = self.bundle.card
        self.classes: list[str] = [str(c) for c in self.card["classes"]]
        self.style: str = self.card.get("preprocess", "mnist")
        self._predict = compiled_predict(self.model)
        self(np.zeros((1, 28, 28, 1), np.float32))  # trace once now, not on the first drawing

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self._predict(x)

    def top(self, probs: np.ndarray, k: int = 3) -> list[tuple[str, float]]:
        order = np.argsort(probs)[::-1][:k]
        return [(self.classes[i], float(probs[i])) for i in order]


# ---------------------------------------------------------------- writing
def unique_name(base: str) -> str:
    """`base`, or base-2, base-3, ... : the first that is free (a shipped bundle is never overwritten)."""
    check_name(base)
    name, k = base, 2
    while (config.models_dir() / name).exists():
        name, k = f"{base}-{k}", k + 1
    return name


def save_bundle(model, card: dict, history: list[dict], evaluation: Optional[dict] = None,
                misclassified: Optional[dict] = None, name: Optional[str] = None) -> str:
    """Write a new bundle atomically under a free name; returns the name it got."""
    base = config.models_dir()
    base.mkdir(parents=True, exist_ok=True)
    name = unique_name(name or card["name"])
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=base))
    try:
        card = dict(card, name=name)
        model.save(tmp / "model.keras")
        (tmp / "card.json").write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
        write_history(tmp / "history.csv", history)
        if evaluation is not None:
            (tmp / "evaluation.json").write_text(json.dumps(evaluation) + "\n")
        if misclassified is not None:
            np.savez_compressed(tmp / "misclassified.npz", **misclassified)
        os.chmod(tmp, 0o755)
        final = base / name
        if final.exists():  # somebody took the name meanwhile
            final = base / unique_name(name)
            card["name"] = final.name
            (tmp / "card.json").write_text(json.dumps(card, indent=2) + "\n")
        atomic.sync_tree(tmp)  # on disk before the name appears: never a bundle of empty files after a power cut
        os.rename(tmp, final)
        atomic.sync_dir(base)
        return final.name
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def update_card(name: str, /, **fields) -> dict:
    """Change fields of a card in place, atomically (write beside it, then rename over it)."""
    path = bundle_dir(name)
    card = _read_card(path)
    card.update(fields)
    atomic.write_json(path / "card.json", card, indent=2)
    return card


def write_history(path: Path, rows: list[dict]) -> None:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys or ["epoch"])
        w.writeheader()
        w.writerows(rows)


def read_history(name: str) -> list[dict]:
    path = bundle_dir(name) / "history.csv"
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return [{k: (float(v) if v not in ("", None) else None) for k, v in r.items()} for r in csv.DictReader(fh)]


def read_evaluation(name: str) -> Optional[dict]:
    path = bundle_dir(name) / "evaluation.json"
    return json.loads(path.read_text()) if path.is_file() else None


def read_misclassified(name: str) -> Optional[dict]:
    path = bundle_dir(name) / "misclassified.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:  # never a pickle from a bundle
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as exc:
        raise BadModel(f"{name}: misclassified.npz cannot be read ({exc}).") from None
