"""`python -m core ...`: the command line used by scripts, benchmarks and to check the app.

Every user error is one sentence on stderr and exit code 2; results go to stdout as JSON."""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from .errors import BadImage, HWLabError  # noqa: E402


def _print(obj) -> None:
    print(json.dumps(obj), flush=True)


class Bar:
    """A one-line text progress bar on stderr (when it is a terminal, or always with force=True)."""

    def __init__(self, label: str, force: bool = False):
        self.label, self.live, self.last = label, force or sys.stderr.isatty(), 0.0

    def __call__(self, done: float, total: float | None, extra: str = "") -> None:
        now = time.time()
        if not self.live or (now - self.last < 0.2 and (total is None or done < total)):
            return
        self.last = now
        if total:
            frac = min(done / total, 1.0)
            bar = "#" * int(frac * 30)
            sys.stderr.write(f"\r{self.label} [{bar:<30}] {frac:6.1%} {extra}   ")
        else:
            sys.stderr.write(f"\r{self.label} {done / 1e6:.1f} MB {extra}   ")
        if total and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


# ---------------------------------------------------------------- commands
def cmd_models(a) -> int:
    from . import registry

    rows = []
    for b in registry.list_bundles():
        c = b.card or {}
        rows.append({"name": b.name, "title": b.title, "dataset": c.get("dataset"), "classes": c.get("classes"),
                     "test_accuracy": c.get("test_accuracy"), "drawn_accuracy": c.get("drawn_accuracy"),
                     "available": b.ok, "error": b.error})
    _print(rows)
    return 0


def cmd_archs(a) -> int:
    from . import zoo

    _print([{"name": n, "title": x.title, "kind": x.kind, "parameters": int(x.build(10).count_params()),
             "defaults": x.defaults} for n, x in zoo.ARCHS.items()])
    return 0


def cmd_predict(a) -> int:
    import numpy as np

    from . import preprocess, registry

    p = registry.Predictor(a.model)
    pending: list[tuple[str, object]] = []  # (file, model input or error sentence), printed in input order

    def flush():
        inputs = [x for _, x in pending if not isinstance(x, str)]
        probs = iter(p(np.concatenate(inputs)) if inputs else [])
        for f, x in pending:
            if isinstance(x, str):
                _print({"file": f, "error": x})
                continue
            top = p.top(next(probs), 3)
            _print({"file": f, "label": top[0][0], "confidence": round(top[0][1], 6),
                    "top": [[c, round(v, 6)] for c, v in top]})
        pending.clear()

    failed = 0
    for f in a.images:
        try:
            x = preprocess.prepare(preprocess.read_image(Path(f).read_bytes(), f), p.style).x
            if x is None:
                x = f"{f}: no ink found (a blank picture)"
        except OSError as exc:
            x = f"cannot read {f}: {exc.strerror or exc}"
        except BadImage as exc:
            x = str(exc)
        failed += isinstance(x, str)
        pending.append((f, x))
        if len(pending) >= 256:
            flush()
    flush()
    return 2 if failed else 0


def cmd_evaluate(a) -> int:
    from . import datasets, evaluation, registry

    p = registry.Predictor(a.model)
    ds = datasets.load(a.dataset, Bar(f"downloading {a.dataset}"))
    if list(ds.classes) != p.classes:
        raise HWLabError(f"{a.model} predicts {len(p.classes)} classes, {a.dataset} has {len(ds.classes)}: "
                         f"they do not match.")
    probs = evaluation.batched(p, ds.test.x, progress=Bar("evaluating"))
    summary, _ = evaluation.evaluate(probs, ds.test.y, ds.classes)
    _print({"model": a.model, "dataset": a.dataset, "accuracy": summary["accuracy"], "n": summary["n"],
            "test_set": ds.provenance})
    return 0


def cmd_datasets(a) -> int:
    """Every dataset: state (complete, partial, derived, missing, bundled), whether it is usable and how, the
    files present and missing, the folder, where to get them. --download NAME fetches one first."""
    from . import datasets

    if a.download:
        size = datasets.download_size_mb(datasets.spec(a.download).name)
        if size is None:
            datasets.fetch(a.download)  # raises with where to get it (Kaggle needs a login)
        elif size > 0:
            datasets.fetch(a.download, Bar(f"downloading {a.download} (about {size:.0f} MB)", force=True))
        _print(datasets.file_status(a.download))
        return 0
    _print([datasets.file_status(n) for n in datasets.DATASETS])
    return 0


def cmd_submit(a) -> int:
    """Kaggle Digit Recognizer: predict every image of test.csv, write submission.csv (ImageId,Label)."""
    from . import kaggle

    _print(kaggle.write_submission(a.model, a.csv, a.out, progress=Bar("predicting")))
    return 0


def cmd_train(a) -> int:
    from . import training

    from . import jobs
    from .errors import BadSettings

    settings = {k: v for k, v in vars(a).items() if k in training.Settings.__dataclass_fields__ and v is not None}
    if a.init_from and a.arch is None:  # fine-tuning: the starting bundle's architecture unless told
        from .classroom.cli import arch_of

        settings["arch"] = arch_of(a.init_from)
    if a.dataset == "class-drawings" and a.drawn_eval is None:  # its held-out students are the drawn-input figure
        settings["drawn_eval"] = False
    if a.augment is not None:
        try:
            settings["augment"] = json.loads(a.augment) if a.augment.strip() else {}
        except ValueError:
            raise BadSettings(f"--augment must be JSON like '{{\"rotation\": 10, \"shift\": 0.1}}', "
                              f"not {a.augment!r}.") from None
    s = training.Settings.from_dict(settings)
    s.resolved()  # every setting checked (exit 2 and a sentence) before the lock, the data or the model
    bar = Bar("training", force=True)

    def events(e):
        if e["event"] == "batch":
            bar(e["epoch"] - 1 + e["batch"] / e["steps"], e["epochs"],
                f"epoch {e['epoch']}/{e['epochs']} loss {e['loss']:.4f} acc {e['accuracy']:.4f} ETA {e['eta_s']:.0f}s")
        elif e["event"] == "epoch":
            vals = " ".join(f"{k} {v:.4f}" for k, v in e.items() if k not in ("event", "epoch", "epochs"))
            sys.stderr.write(f"\repoch {e['epoch']}/{e['epochs']}: {vals}\n")
        elif e["event"] in ("status", "device", "evaluation"):
            sys.stderr.write(json.dumps(e) + "\n")
        sys.stderr.flush()

    command = "python -m core " + " ".join(shlex.quote(x) for x in getattr(a, "argv", sys.argv[1:]))
    with jobs.exclusive(command):  # one training at a time on this machine, the Train page's jobs included
        name = training.train(s, events, command=command)
    print(name, flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m core", description="Handwriting Lab from the command line.")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("models", help="JSON list of the model bundles").set_defaults(fn=cmd_models)
    sub.add_parser("archs", help="JSON list of the architectures").set_defaults(fn=cmd_archs)
    p = sub.add_parser("datasets", help="JSON list of the datasets: present, missing, where to get them")
    p.add_argument("--download", metavar="NAME", help="download this dataset's official files first (MNIST, EMNIST)")
    p.set_defaults(fn=cmd_datasets)
    p = sub.add_parser("submit", help="Kaggle Digit Recognizer: write submission.csv for a test.csv")
    p.add_argument("--model", required=True)
    p.add_argument("--csv", required=True, help="Kaggle's test.csv (pixel0..pixel783)")
    p.add_argument("--out", default="submission.csv", help="where to write ImageId,Label (default submission.csv)")
    p.set_defaults(fn=cmd_submit)
    p = sub.add_parser("predict", help="predict pictures: one JSON line per file")
    p.add_argument("--model", required=True)
    p.add_argument("images", nargs="+")
    p.set_defaults(fn=cmd_predict)
    p = sub.add_parser("evaluate", help="accuracy of a model on a dataset's test set")
    p.add_argument("--model", required=True)
    p.add_argument("--dataset", required=True)
    p.set_defaults(fn=cmd_evaluate)
    p = sub.add_parser("train", help="train a model headless; prints the new bundle's name last")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--arch", help="default seed002_cnn, or the --init-from bundle's")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", dest="batch_size", type=int)
    p.add_argument("--optimizer", choices=["adam", "rmsprop", "sgd"])
    p.add_argument("--learning-rate", dest="learning_rate", type=float)
    p.add_argument("--schedule", choices=["constant", "plateau", "one-cycle"])
    p.add_argument("--early-stopping", dest="early_stopping", type=int, help="patience in epochs")
    p.add_argument("--augment", help='JSON, e.g. \'{"rotation": 10, "shift": 0.1, "zoom": 0.1, "stroke": 0.5}\'')
    p.add_argument("--validation-fraction", dest="validation_fraction", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--pen-strokes", dest="pen_strokes", action="store_true", default=None)
    p.add_argument("--pen-repeat", dest="pen_repeat", type=int)
    p.add_argument("--pen-sources", dest="pen_sources", help="comma-separated: unipen, pendigits")
    p.add_argument("--emnist-sibling", dest="emnist_sibling", action="store_true", default=None,
                   help="EMNIST byclass/bymerge: add the other layout's test images, relabelled (held-out ones left out)")
    p.add_argument("--prior-correction", dest="prior_correction", action="store_true", default=None,
                   help="shift the output back to the dataset's own class balance when added images changed it")
    p.add_argument("--init-from", dest="init_from", help="start from this bundle's weights (fine-tuning)")
    p.add_argument("--limit", type=int, help="train on the first N examples only")
    p.add_argument("--name")
    p.add_argument("--title")
    p.add_argument("--no-drawn-eval", dest="drawn_eval", action="store_false", default=None,
                   help="skip measuring drawn-input accuracy after training")
    p.add_argument("--mixed-precision", dest="mixed_precision", choices=["auto", "on", "off"])
    p.set_defaults(fn=cmd_train)
    from .classroom.cli import add_class_commands

    add_class_commands(sub)  # python -m core class add/list/export/import/clear
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return args.fn(args)
    except HWLabError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
