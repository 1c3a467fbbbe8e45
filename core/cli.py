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
    """A one-line progress bar on stderr, redrawn in place, when stderr is a terminal. In a log file (stderr not
    a terminal) carriage-return redraws would leave thousands of partial lines: there, with `piped_steps`, one
    plain line each time another 1/piped_steps of the work is done, and otherwise nothing."""

    def __init__(self, label: str, piped_steps: int = 0):
        self.label, self.live, self.last = label, sys.stderr.isatty(), 0.0
        self.piped_steps, self.piped_done = piped_steps, -1

    def __call__(self, done: float, total: float | None, extra: str = "") -> None:
        if not self.live:
            self._piped_line(done, total, extra)
            return
        now = time.time()
        if now - self.last < 0.2 and (total is None or done < total):
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

    def _piped_line(self, done: float, total: float | None, extra: str) -> None:
        if not self.piped_steps or not total:
            return
        step = int(min(done / total, 1.0) * self.piped_steps)
        if step > self.piped_done:
            self.piped_done = step
            sys.stderr.write(f"{self.label} {step / self.piped_steps:.0%} {extra}".rstrip() + "\n")
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
            datasets.fetch(a.download, Bar(f"downloading {a.download} (about {size:.0f} MB)", piped_steps=10))
        _print(datasets.file_status(a.download))
        return 0
    _print([datasets.file_status(n) for n in datasets.DATASETS])
    return 0


def cmd_submit(a) -> int:
    """Kaggle Digit Recognizer: predict every image of test.csv, write submission.csv (ImageId,Label)."""
    from . import kaggle_submission

    _print(kaggle_submission.write_submission(a.model, a.csv, a.out, progress=Bar("predicting")))
    return 0


def cmd_train(a) -> int:
    from . import jobs, train_settings, training

    s = train_settings.from_arguments(a)
    s.resolved()  # every setting checked (exit 2 and a sentence) before the lock, the data or the model
    bar = Bar("training")  # on a terminal only: in a log, the lines per epoch below are the progress

    def events(e):
        if e["event"] == "batch":
            bar(e["epoch"] - 1 + e["batch"] / e["steps"], e["epochs"],
                f"epoch {e['epoch']}/{e['epochs']} loss {e['loss']:.4f} acc {e['accuracy']:.4f}"
                + (f" ETA {e['eta_s']:.0f}s" if e.get("eta_s") is not None else ""))
        elif e["event"] == "epoch":
            vals = " ".join(f"{k} {v:.4f}" for k, v in e.items() if k not in ("event", "epoch", "epochs"))
            sys.stderr.write(("\r" if bar.live else "") + f"epoch {e['epoch']}/{e['epochs']}: {vals}\n")
        elif e["event"] in ("status", "device", "evaluation"):
            sys.stderr.write(json.dumps(e) + "\n")
        sys.stderr.flush()

    command = "python -m core " + " ".join(shlex.quote(x) for x in getattr(a, "argv", sys.argv[1:]))
    with jobs.exclusive(command):  # one training at a time on this machine, the Train page's jobs included
        name = training.train(s, events, command=command)
    print(name, flush=True)
    return 0


def cmd_export(a) -> int:
    """A bundle as a zip to use elsewhere: the model in one format, labels, README, preprocessing, an example."""
    from .export import write_zip

    _print(write_zip(a.model, a.format, Path(a.out), progress=Bar(f"exporting {a.model} as {a.format}")))
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
    p = sub.add_parser("export", help="a model as a zip for Keras, ONNX or LiteRT, with labels, README and an example")
    p.add_argument("--model", required=True)
    from .export import FORMATS

    p.add_argument("--format", required=True, choices=list(FORMATS))
    p.add_argument("--out", required=True, help="the zip to write (FILE.zip)")
    p.set_defaults(fn=cmd_export)
    p = sub.add_parser("train", help="train a model headless; prints the new bundle's name last")
    from .train_settings import add_arguments

    add_arguments(p)  # one flag per training setting, from its declaration (train_settings.Settings)
    p.set_defaults(fn=cmd_train)
    from .classroom.cli import add_class_commands

    add_class_commands(sub)  # python -m core class add/list/export/import/clear
    from .insight.cli import register as register_insight  # lineup, neighbours, read

    register_insight(sub)
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
