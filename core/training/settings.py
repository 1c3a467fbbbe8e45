"""Every training setting, declared once: its type, default, range or choices, label and help text.

`Settings` is the dataclass the trainer takes; each field's metadata (an `Option`) is what the command
line's `train` flags (`add_arguments`), a job's equivalent command (`command_line`), the Train page's form
(ui/train/form.py) and the checks (`Settings.resolved`) are built from. The architecture's suggested
settings (zoo.Arch.defaults) and their adaptation to a small dataset are merged here only (`suggested`),
and so are the presets (`PRESETS`).
"""
from __future__ import annotations

import argparse
import json
import math
import shlex
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Optional

from ..errors import BadSettings

OPTIMIZERS = ("adam", "rmsprop", "sgd")
SCHEDULES = ("constant", "plateau", "one-cycle")
MAX_BATCH = 8192
AUGMENTATIONS = {"rotation": 180.0, "shift": 0.5, "zoom": 0.5, "stroke": 1.0}  # the largest value of each
# A dataset with fewer training images than this trains in small batches for at least SMALL_DATA_STEPS
# updates: with the suggestions made for 60,000 images, scikit-learn's 1,437 digits got 11 updates an
# epoch, too few for batch normalisation's running statistics (HWNet: train 99%, validation 10-45%).
SMALL_DATA = 10_000
SMALL_DATA_BATCH = 32
SMALL_DATA_STEPS = 1500


@dataclass(frozen=True)
class Option:
    """How one setting is read, checked and shown. kind: int, float, choice, bool, text, augment."""
    kind: str
    label: str
    help: str = ""
    lo: Optional[float] = None  # range; lo_open/hi_open: the bound itself is refused
    hi: Optional[float] = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple = ()
    must: str = ""  # the sentence's start when a value is refused ("Epochs must be ...")
    group: str = "main"  # where the Train page shows it: main, augment, data, more; "" = not in the form
    optional: bool = False  # None is allowed (the architecture's suggestion, or off)
    step: Optional[float] = None  # the form's step for numbers
    labels: tuple = ()  # the form's words for the choices, in their order

    def check(self, name: str, v) -> None:
        if v is None and self.optional:
            return
        if self.kind == "int":
            ok = _int(v) and (self.lo is None or v >= self.lo) and (self.hi is None or v <= self.hi)
        elif self.kind == "float":
            ok = _num(v) and (self.lo is None or (v > self.lo if self.lo_open else v >= self.lo)) and \
                (self.hi is None or (v < self.hi if self.hi_open else v <= self.hi))
        elif self.kind == "choice":
            ok = v in self.choices
        elif self.kind == "bool":
            ok = isinstance(v, bool)
        elif self.kind == "text":
            ok = isinstance(v, str)
        else:
            return  # augment: checked in resolved(), key by key
        if not ok:
            raise BadSettings(f"{self.must or f'{name} must be valid'}, not {v!r}.")


def _opt(default, kind: str, label: str, help: str = "", **kw) -> Any:
    return field(default=default, metadata={"option": Option(kind, label, help, **kw)})


@dataclass
class Settings:
    dataset: str = _opt("mnist", "text", "Dataset", group="")
    arch: str = _opt("seed002_cnn", "text", "Architecture", group="")
    class_room: Optional[str] = _opt(None, "text", "Class room", "class-drawings: the join code of the room whose "
                                     "drawings it holds (default: the default room)", optional=True, group="")
    epochs: Optional[int] = _opt(None, "int", "Epochs", "Passes over the training images.", lo=1, hi=1000,
                                 optional=True, must="Epochs must be a whole number from 1 to 1000")
    batch_size: Optional[int] = _opt(None, "int", "Batch size", "Larger batches run faster, up to where they "
                                     "still converge.", lo=1, hi=MAX_BATCH, optional=True, step=32,
                                     must=f"Batch size must be a whole number from 1 to {MAX_BATCH}")
    optimizer: str = _opt("adam", "choice", "Optimizer", choices=OPTIMIZERS,
                          labels=("Adam", "RMSprop", "SGD with Nesterov momentum 0.9"),
                          must=f"Optimizer must be one of {', '.join(OPTIMIZERS)}")
    learning_rate: Optional[float] = _opt(None, "float", "Learning rate", "The peak rate for one-cycle.", lo=0,
                                          lo_open=True, hi=10, optional=True, step=0.0001,
                                          must="The learning rate must be a positive number up to 10")
    schedule: Optional[str] = _opt(None, "choice", "Schedule", "Constant; halve on plateau: halve the rate after 2 "
                                   "flat epochs; one-cycle: warm up, then cosine down.", choices=SCHEDULES, optional=True,
                                   labels=("Constant", "Halve on plateau", "One-cycle"),  # short: a select box shows them whole
                                   must=f"Schedule must be one of {', '.join(SCHEDULES)}")
    early_stopping: int = _opt(0, "int", "Early stopping (patience, epochs)",
                               "Stop when the validation loss has not improved for this many epochs and keep the "
                               "best weights. 0 = off.", lo=0, hi=1000,
                               must="Early-stopping patience must be 0 (off) to 1000 epochs")
    augment: Optional[dict] = _opt(None, "augment", "Augmentation", "rotation (degrees), shift, zoom (fractions), "
                                   "stroke; JSON on the command line", group="augment", optional=True)
    validation_fraction: float = _opt(0.1, "float", "Validation fraction", "Held out of the training images to "
                                      "draw the validation curves.", lo=0, hi=0.9, hi_open=True, step=0.01,
                                      must="The validation fraction must be at least 0 and below 0.9")
    seed: int = _opt(0, "int", "Seed", lo=0, hi=2**32 - 1, must="The seed must be a whole number from 0 to 2^32-1")
    adam_beta_1: Optional[float] = _opt(None, "float", "Adam beta 1", "Adam's momentum (usually 0.9).", lo=0,
                                        hi=1, hi_open=True, optional=True, step=0.01, group="more",
                                        must="Adam's beta 1 must be at least 0 and below 1")
    adam_beta_2: Optional[float] = _opt(None, "float", "Adam beta 2", "Adam's decay of the squared gradients "
                                        "(usually 0.999).", lo=0, hi=1, hi_open=True, optional=True, step=0.001,
                                        group="more",
                                        must="Adam's beta 2 must be at least 0 and below 1")
    pen_strokes: bool = _opt(False, "bool", "Add pen strokes", "Add real pen-drawn characters (their training "
                             "writers only) to the training images, rendered like the canvas renders a drawing.",
                             group="data", must="Pen strokes must be on or off")
    pen_repeat: int = _opt(1, "int", "Pen strokes repeated", "How many times those drawings are repeated.",
                           lo=1, hi=10, group="data", must="Pen repeat must be 1 to 10")
    pen_sources: str = _opt("unipen", "text", "Pen-stroke sources", "Comma-separated: unipen, pendigits (each "
                            "split by writer).", group="data",
                            must="Pen sources must be text like 'unipen,pendigits'")
    emnist_sibling: bool = _opt(False, "bool", "Other EMNIST layout too", "ByClass and ByMerge only: "
                                "their test files hold mostly different images. Adds the other file's images, "
                                "relabelled, leaving out every held-out test image.", group="data",
                                must="emnist_sibling must be on or off")
    init_from: Optional[str] = _opt(None, "text", "Start from the weights of", "A model of the same "
                                    "architecture: fine-tuning when its classes are the same, else every layer "
                                    "but the output layer (transfer learning).", group="more", optional=True,
                                    must="init_from must be a model name")
    train_last: Optional[int] = _opt(None, "int", "Train only the last N layers", "Fine-tuning: the layers "
                                     "before them keep their weights and batch-norm statistics, so a run is "
                                     "several times faster and the model keeps the features it learned. Empty: "
                                     "every layer.", lo=1, optional=True, group="more",
                                     must="Train only the last N layers: N must be a whole number, at least 1")
    limit: Optional[int] = _opt(None, "int", "Train on the first N images only", "Quick tries and tests.",
                                lo=10, optional=True, group="more",
                                must="A training limit must be at least 10 examples")
    name: Optional[str] = _opt(None, "text", "Model name", "Letters, digits, '.', '_' and '-'. A taken name "
                               "gets -2, -3, …", group="more", optional=True, must="The name must be text")
    title: Optional[str] = _opt(None, "text", "Title", group="more", optional=True, must="The title must be text")
    mixed_precision: str = _opt("auto", "choice", "Mixed precision", "auto: bfloat16 on a GPU, float32 on a CPU.",
                                choices=("auto", "on", "off"), group="more",
                                must="Mixed precision must be auto, on or off")
    drawn_eval: bool = _opt(True, "bool", "Measure drawn-input accuracy after training", "Renders the held-out "
                            "writers' pen strokes once (cached).", group="more", must="drawn_eval must be on or off")
    prior_correction: bool = _opt(False, "bool", "Shift the output back to the dataset's own class balance",
                                  "For added images (EMNIST sibling, pen strokes) that change how often each "
                                  "class is seen in training: the saved model then predicts as if trained on the "
                                  "dataset's own balance, the one its test set has.", group="more",
                                  must="prior_correction must be on or off")

    @classmethod
    def from_dict(cls, d: dict) -> "Settings":
        unknown = set(d) - set(OPTIONS)
        if unknown:
            raise BadSettings(f"Unknown training settings: {', '.join(sorted(unknown))}.")
        return cls(**d)

    def resolved(self, n_train: Optional[int] = None) -> "Settings":
        """Checked settings with the suggestions (architecture, dataset size) filled in. Raises BadSettings.
        n_train: the dataset's training images, when known (see `suggested`)."""
        from .. import datasets, registry
        from ..datasets import drawn
        from ..model import zoo

        check(isinstance(self.arch, str), f"The architecture must be a name, not {self.arch!r}.")
        zoo.get(self.arch)  # raises for an unknown architecture
        check(isinstance(self.dataset, str) and self.dataset in datasets.DATASETS,
               f"Unknown dataset {self.dataset!r}. Known: {', '.join(datasets.DATASETS)}.")
        s = Settings(**asdict(self))
        for k, v in suggested(self.arch, n_train).items():
            if getattr(s, k) is None:
                setattr(s, k, v)
        check(isinstance(s.augment, dict),
               f"Augmentation must be a mapping like {{\"rotation\": 10}}, not {s.augment!r}.")
        s.augment = dict(s.augment)
        for name, option in OPTIONS.items():
            option.check(name, getattr(s, name))
        check(not s.emnist_sibling or s.dataset.removeprefix("emnist-") in datasets.EMNIST_SIBLING,
               f"Only EMNIST byclass and bymerge have a sibling file to add, not {s.dataset}.")
        for k, v in s.augment.items():
            top = AUGMENTATIONS.get(k)
            check(top is not None, f"Unknown augmentation {k!r} ({', '.join(AUGMENTATIONS)}).")
            check(_num(v) and 0 <= v <= top, f"Augmentation {k} must be 0 to {top:g}, not {v!r}.")
        if s.name is not None:
            registry.check_name(s.name)
        check(all(src in drawn.SOURCES for src in s.pen_sources.split(",")),
               f"Pen sources must be among {', '.join(drawn.SOURCES)}, not {s.pen_sources!r}.")
        if s.init_from is not None:
            b = registry.inspect(s.init_from)  # raises BadModel for an unknown name
            check(b.ok and b.card.get("architecture", {}).get("name") == s.arch,
                   f"{s.init_from} cannot seed a {s.arch}: {b.error or 'its architecture differs'}.")
        return s


OPTIONS: dict[str, Option] = {f.name: f.metadata["option"] for f in fields(Settings)}
DEFAULTS = Settings()

# Presets: named sets of settings a user picks instead of filling the form. "quick": a 99% MNIST model in
# class time (benchmarks/train_speed.py measures it against the seed notebook's way).
# Each sets an architecture and leaves the rest to its suggestions (zoo.Arch.defaults).
# Fine-tuning on the class's drawings trains the last convolution, its batch norm and the output layer; the
# features below stay (about 2x faster than every layer, and the model keeps what it knew).
CLASS_TRAIN_LAST = 3

PRESETS: dict[str, dict] = {"quick": {"arch": "quicknet", "optimizer": "adam", "validation_fraction": 0.0}}
PRESET_TITLES = {"quick": "Quick: 99% digits, one pass"}
PRESET_DATASETS = {"quick": ("mnist", "emnist-digits", "emnist-mnist", "kaggle-digit-recognizer")}  # its default on


def with_preset(preset: Optional[str], settings: dict) -> dict:
    """The preset's settings under those given (which win). Raises BadSettings for an unknown preset."""
    if preset is None:
        return dict(settings)
    check(preset in PRESETS, f"Unknown preset {preset!r}. Known: {', '.join(PRESETS)}.")
    return {**PRESETS[preset], **settings}


def suggested(arch: str, n_train: Optional[int] = None) -> dict:
    """The settings `arch` trains well with (zoo.Arch.defaults over the general defaults), adapted to a
    dataset of n_train training images when it is small (see SMALL_DATA)."""
    from .. import datasets
    from ..model import zoo

    d = zoo.get(arch).defaults
    out = {"epochs": d.get("epochs", 10), "batch_size": d.get("batch_size", 128),
           "learning_rate": d.get("learning_rate", 1e-3), "schedule": d.get("schedule", "constant"),
           "adam_beta_1": d.get("adam_beta_1", 0.9), "adam_beta_2": d.get("adam_beta_2", 0.999),
           "augment": dict(d.get("augment", {}))}
    if n_train is not None and n_train < SMALL_DATA:
        out["batch_size"] = min(out["batch_size"], SMALL_DATA_BATCH)
        steps = math.ceil((n_train - datasets.validation_count(n_train)) / out["batch_size"])
        out["epochs"] = max(out["epochs"], math.ceil(SMALL_DATA_STEPS / max(steps, 1)))
    return out


# ---------------------------------------------------------------- the command line, both ways
def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The `train` command's flags, one per setting (plus --preset)."""
    p.add_argument("--preset", choices=list(PRESETS),  # argparse formats help with %: "99%" is written "99%%"
                   help="; ".join(f"{k}: {v}" for k, v in PRESET_TITLES.items()).replace("%", "%%")
                   + " (flags given beside it win)")
    for name, o in OPTIONS.items():
        if name == "drawn_eval":  # on by default: the flag turns it off
            p.add_argument("--no-drawn-eval", dest=name, action="store_false", default=None, help="do not: " + o.label)
        elif o.kind == "bool":
            p.add_argument(_flag(name), dest=name, action="store_true", default=None, help=o.help or o.label)
        elif o.kind == "choice":
            p.add_argument(_flag(name), dest=name, choices=list(o.choices), help=o.help or o.label)
        else:
            typ = {"int": int, "float": float}.get(o.kind, str)
            p.add_argument(_flag(name), dest=name, type=typ, help=o.help or o.label)


def from_arguments(a: argparse.Namespace) -> Settings:
    """Settings from parsed `train` flags (the preset under them). Raises BadSettings."""
    given = {k: getattr(a, k) for k in OPTIONS if getattr(a, k, None) is not None}
    if isinstance(given.get("augment"), str):
        try:
            given["augment"] = json.loads(given["augment"]) if given["augment"].strip() else {}
        except ValueError:
            raise BadSettings(f"--augment must be JSON like '{{\"rotation\": 10, \"shift\": 0.1}}', "
                              f"not {given['augment']!r}.") from None
    preset = getattr(a, "preset", None)
    if given.get("init_from") and "arch" not in given and preset is None:  # fine-tuning: the bundle's own network
        from .. import registry

        given["arch"] = registry.arch_of(given["init_from"])  # raises BadModel for an unknown name
    if given.get("dataset") == "class-drawings":  # its held-out students are the drawn-input figure
        given.setdefault("drawn_eval", False)
        if given.get("init_from"):  # teaching a model the class's hand: its top layers only, as the Train page does
            given.setdefault("train_last", CLASS_TRAIN_LAST)
    return Settings.from_dict(with_preset(preset, given))


def command_line(settings: dict) -> str:
    """The `python -m core train` command that trains the same thing headless."""
    default = asdict(DEFAULTS)
    parts = ["python -m core train", f"--dataset {shlex.quote(str(settings['dataset']))}",
             f"--arch {shlex.quote(str(settings['arch']))}"]
    for k, v in settings.items():
        if k in ("dataset", "arch") or k not in OPTIONS or v is None or v == default[k]:
            continue
        if k == "drawn_eval":
            parts.append("--no-drawn-eval")
        elif isinstance(v, bool):  # the switches that are off by default: a bare flag
            parts.append(_flag(k))
        elif k == "augment":
            parts.append("--augment " + shlex.quote(json.dumps(v, separators=(",", ":"))))
        else:
            parts.append(f"{_flag(k)} {shlex.quote(str(v))}")
    return " ".join(parts)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check(ok: bool, message: str) -> None:
    if not ok:
        raise BadSettings(message)
