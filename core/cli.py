"""`python -m core ...`: the command line used by scripts, benchmarks and to check the app.

One rule for every command: results go to stdout as JSON; every user error is one sentence on stderr
("error: ..."), and the command exits with code 2 (a command given several pictures still answers the readable
ones, and exits 2 at the end when any could not be read). TensorFlow's own start-up lines stay out of the
terminal unless --verbose or HWLAB_VERBOSE=1 (`quiet_start`)."""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from .console import quiet_start, run_reporting_errors, say_error
from .errors import BadImage, BadModel, HWLabError

# The commands that never load TensorFlow: the others load it at once, quietly (quiet_start).
WITHOUT_TENSORFLOW = {"models", "datasets", "class list", "class export", "class clear", "jobs", "worker"}


def _print(obj) -> None:
    print(json.dumps(obj), flush=True)


class Parser(argparse.ArgumentParser):
    """argparse with this CLI's manners: a mistake on the command line is one sentence (not the whole usage)
    and exit code 2, like every other user error; and every command takes --verbose."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                          help="also show TensorFlow's own start-up lines (or set HWLAB_VERBOSE=1)")

    def error(self, message: str):
        say_error(f"{message} ({self.prog} --help says more).")
        sys.exit(2)


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
    from .model import zoo

    _print([{"name": n, "title": x.title, "kind": x.kind, "parameters": int(x.build(10).count_params()),
             "defaults": x.defaults} for n, x in zoo.ARCHS.items()])
    return 0


def cmd_predict(a) -> int:
    import numpy as np

    from .model import preprocess
    from . import registry

    bundle = registry.inspect(a.model)
    if not bundle.ok:
        raise BadModel(bundle.error)
    style = bundle.card.get("preprocess", "mnist")  # what Predictor.style says, without loading the model
    loaded: list = []  # the Predictor, loaded for the first good picture: bad ones are said without TensorFlow
    pending: list[tuple[str, object]] = []  # (file, model input or error sentence), printed in input order

    def flush():
        inputs = [x for _, x in pending if not isinstance(x, str)]
        if inputs and not loaded:
            loaded.append(registry.Predictor(a.model))
        probs = iter(loaded[0](np.concatenate(inputs)) if inputs else [])
        for f, x in pending:
            if isinstance(x, str):
                say_error(x)
                continue
            top = loaded[0].top(next(probs), 3)
            _print({"file": f, "label": top[0][0], "confidence": round(top[0][1], 6),
                    "top": [[c, round(v, 6)] for c, v in top]})
        pending.clear()

    failed = 0
    for f in a.images:
        try:
            x = preprocess.prepare(preprocess.read_image(Path(f).read_bytes(), f), style).x
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
    from . import datasets, registry
    from .model import evaluation

    datasets.spec(a.dataset)  # an unknown dataset is said before the model is loaded
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
    from .model import kaggle_submission

    _print(kaggle_submission.write_submission(a.model, a.csv, a.out, progress=Bar("predicting")))
    return 0


def cmd_train(a) -> int:
    from .training import jobs, run
    from .training.settings import from_arguments

    s = from_arguments(a)
    s.resolved()  # every setting checked (exit 2 and a sentence) before the lock, the data or the model
    if a.queue:
        return _queue_training(s)
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
        name = run.train(s, events, command=command)
        draw_map(name, lambda message: events({"event": "status", "message": message}), lambda: False)
    print(name, flush=True)
    return 0


def _queue_training(s) -> int:
    """`train --queue`: the job joins the line in the class database; a worker runs it. Prints its id last."""
    from dataclasses import asdict

    from .serving import job_queue, queue_worker

    job_id = job_queue.submit(asdict(s), title=f"{s.arch} on {s.dataset}")
    place = next((q for q in job_queue.listing() if q.id == job_id), None)
    sys.stderr.write(f"queued: {job_queue.place_sentence(place, None) if place else 'in line'}. "
                     + ("A worker on this machine will run it." if queue_worker.worker_running() else
                        "No worker runs on this machine: `python -m core worker` runs the line "
                        "(serve starts one).") + " `python -m core jobs` shows the line.\n")
    print(job_id, flush=True)
    return 0


def cmd_jobs(a) -> int:
    """The training jobs' line and the newest ended jobs, one JSON object a line."""
    from .serving import job_queue

    job_queue.reconcile()
    for q in job_queue.listing(limit=a.last):
        _print(q.line())
    return 0


def cmd_worker(a) -> int:
    from .serving import queue_worker

    return queue_worker.run(once=a.once)


def cmd_export(a) -> int:
    """A bundle as a zip to use elsewhere: the model in one format, labels, README, preprocessing, an example."""
    from .export import write_zip

    _print(write_zip(a.model, a.format, Path(a.out), progress=Bar(f"exporting {a.model} as {a.format}")))
    return 0


def draw_map(name: str, say, cancelled) -> None:
    """After a training (this CLI's and a Train page job's): the new bundle's map, so that the Draw page's map
    works at once, offline. A map that cannot be drawn leaves the bundle as it is, and says so."""
    from . import registry
    from .insight import feature_map
    from .training import estimate
    from .training.run import Cancelled

    def stage(what: str) -> None:
        if cancelled():
            raise Cancelled("cancelled while drawing the map")
        say(f"drawing the map of what it learned: {what}")

    say("drawing the map of what it learned (t-SNE of its test images)")
    started = time.time()
    try:
        feature_map.draw(name, progress=stage)
        arch = registry.inspect(name).card.get("training", {}).get("arch")
        if arch:  # the map's part of the run, for the Train page's estimate
            estimate.record_part(arch, "map_s", time.time() - started)
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - the bundle is saved and usable; only its map is missing
        say(f"saved, but its map could not be drawn ({type(exc).__name__}: {exc}); "
            f"python -m core.insight.feature_map {name} draws it")


def cmd_calibrate(a) -> int:
    """estimate.calibrate's process: a short real training run, then its map, each part recorded."""
    from .training import calibration

    calibration.main(a.arch, after_save=lambda name: draw_map(name, lambda _: None, lambda: False))
    return 0


def cmd_run_job(a) -> int:
    """A Train page job's process (core/training/jobs.start starts it): the worker, then the new bundle's map."""
    from .training import worker

    return worker.run(a.folder, after_save=draw_map)


def build_parser() -> argparse.ArgumentParser:
    ap = Parser(prog="python -m core", description="Handwriting Lab from the command line.")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("models", help="JSON list of the model bundles").set_defaults(fn=cmd_models)
    p = sub.add_parser("run-job", help=argparse.SUPPRESS)  # a training job's process (training/jobs.py starts it)
    p.add_argument("folder")
    p.set_defaults(fn=cmd_run_job)
    p = sub.add_parser("calibrate", help=argparse.SUPPRESS)  # the Train page's estimate (training/estimate.py)
    p.add_argument("arch")
    p.set_defaults(fn=cmd_calibrate)
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
    from .training.settings import add_arguments

    add_arguments(p)  # one flag per training setting, from its declaration (training/settings.py)
    p.add_argument("--queue", action="store_true",
                   help="put the job in the line (the class database) for a worker, print its id and return")
    p.set_defaults(fn=cmd_train)
    p = sub.add_parser("jobs", help="the training jobs' line and the newest ended jobs: one JSON object a line")
    p.add_argument("--last", type=int, default=50, metavar="N", help="the line and the newest N jobs (default 50)")
    p.set_defaults(fn=cmd_jobs)
    p = sub.add_parser("worker", help="run queued training jobs, one at a time, until stopped")
    p.add_argument("--once", action="store_true", help="stop when nobody waits in line")
    p.set_defaults(fn=cmd_worker)
    from .classroom.cli import add_class_commands

    add_class_commands(sub)  # python -m core class add/list/export/import/clear
    from .insight.cli import register as register_insight  # lineup, neighbours, read

    register_insight(sub)
    from .serving import add_serve_command

    add_serve_command(sub)  # python -m core serve: several app processes behind nginx
    return ap


def _check_dataset_name(a) -> int:
    """A command that takes a dataset (train, evaluate, lineup, ...) says an unknown name before TensorFlow
    loads: in a fraction of a second, not the seconds of its import."""
    name = getattr(a, "dataset", None)
    if isinstance(name, str):
        from . import datasets

        datasets.spec(name)
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = [x for x in (sys.argv[1:] if argv is None else argv) if x != "--verbose"]
    command = " ".join(filter(None, (args.command, getattr(args, "class_command", None))))
    if run_reporting_errors(_check_dataset_name, args):
        return 2
    quiet_start(getattr(args, "verbose", False), load_tensorflow=command not in WITHOUT_TENSORFLOW)
    return run_reporting_errors(args.fn, args)
