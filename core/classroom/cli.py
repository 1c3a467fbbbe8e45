"""`python -m core class ...`: the class's drawings from the command line (add, list, export, import, clear).
Registered into core/cli.py's parser by add_class_commands."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import BadImage, BadModel, HWLabError


def arch_of(bundle: str) -> str:
    """The architecture of a bundle (`train --init-from NAME` without --arch trains that one)."""
    from .. import registry

    b = registry.inspect(bundle)
    if not b.ok:
        raise BadModel(b.error)
    return b.card.get("architecture", {}).get("name") or "seed002_cnn"


def default_model() -> str:
    """The bundle the Draw page starts with: the best MNIST one on drawings, else the best of any."""
    from .. import registry

    name = registry.default_for("mnist")
    usable = [b for b in registry.list_bundles() if b.ok]
    if name is None and usable:
        name = max(usable, key=registry.rank).name
    if name is None:
        raise BadModel("No usable model in the models folder (HWLAB_MODELS_DIR) to read the drawings with.")
    return name


def _print(obj) -> None:
    print(json.dumps(obj), flush=True)


def _predictor(name):
    from .. import registry

    return registry.Predictor(name or default_model())


def cmd_add(a) -> int:
    from .. import preprocess
    from .pictures import thumbnail_png
    from .store import check_label, clean_student, open_store

    p = _predictor(a.model)
    label, student = check_label(a.label, p.classes), clean_student(a.student)
    rows = []
    for f in a.files:
        try:
            img = preprocess.read_image(Path(f).read_bytes(), f)
        except OSError as exc:
            raise BadImage(f"cannot read {f}: {exc.strerror or exc}") from None
        x = preprocess.prepare(img, p.style).x
        if x is None:
            raise BadImage(f"{f}: no ink found (a blank picture); nothing was added.")
        rows.append(dict(student=student, label=label, x=x, style=p.style, model=p.bundle.name, classes=p.classes,
                         canvas_png=thumbnail_png(img)))
    probs = p(np.concatenate([r["x"] for r in rows]))
    for r, pr in zip(rows, probs):
        r["probs"] = pr
    ids = open_store().add_many(rows)  # all or none
    _print({"added": len(ids), "student": student, "label": label, "model": p.bundle.name, "ids": ids})
    return 0


def cmd_list(a) -> int:
    from .store import open_store

    for d in open_store().drawings(all_sessions=not a.current):
        _print({"id": d.id, "session": d.session_id, "student": d.student, "label": d.label,
                "prediction": d.prediction, "confidence": round(d.confidence, 5), "model": d.model,
                "created": datetime.fromtimestamp(d.created, timezone.utc).isoformat(timespec="seconds")})
    return 0


def cmd_export(a) -> int:
    from .store import open_store
    from .transfer import export_zip

    out = Path(a.out)
    if out.suffix.lower() != ".zip":
        raise HWLabError(f"--out must name a .zip file, not {a.out!r}.")
    n = export_zip(open_store(), out, keep_names=not a.no_names)
    _print({"exported": n, "out": str(out), "nicknames": not a.no_names})
    return 0


def cmd_import(a) -> int:
    from .. import preprocess
    from .pictures import thumbnail_png
    from .store import open_store
    from .transfer import read_zip

    items = read_zip(Path(a.zip))
    p = _predictor(a.model)
    rows = []
    for it in items:
        x = it["input28"]
        if x is None:  # an input missing from the zip: the picture prepared again, like a canvas drawing
            try:
                x = preprocess.prepare(preprocess.read_image(it["picture"] or b"", "picture"), p.style).x
            except BadImage:
                x = None
            if x is None:
                raise HWLabError(f"{a.zip}: a drawing of {it['student']!r} has neither a usable picture nor an input.")
        rows.append(dict(student=it["student"], label=it["label"], x=x, style=p.style, model=p.bundle.name,
                         classes=p.classes, canvas_png=it["picture"] and thumbnail_png(
                             preprocess.read_image(it["picture"], "picture")), created=it["created"]))
    if rows:
        batch = np.stack([(np.asarray(r["x"], np.float32) / (255.0 if np.asarray(r["x"]).dtype == np.uint8 else 1.0))
                          .reshape(28, 28, 1) for r in rows])
        for r, pr in zip(rows, p(batch)):
            r["probs"] = pr
    ids = open_store().add_many(rows)  # all or none
    _print({"imported": len(ids), "model": p.bundle.name})
    return 0


def cmd_clear(a) -> int:
    from .store import open_store

    if not a.yes:
        raise HWLabError("This deletes every drawing of every class session: add --yes to do it.")
    _print({"deleted": open_store().clear()})
    return 0


def add_class_commands(sub) -> None:
    c = sub.add_parser("class", help="the class's drawings: add, list, export, import, clear")
    cs = c.add_subparsers(dest="class_command", required=True)
    p = cs.add_parser("add", help="add pictures (each prepared like a canvas drawing, then predicted)")
    p.add_argument("--label", required=True, help="what the pictures show (one of the model's classes)")
    p.add_argument("--student", required=True, help="a nickname, at most 24 characters")
    p.add_argument("--model", help="the bundle that reads them (default: the Draw page's default)")
    p.add_argument("files", nargs="+")
    p.set_defaults(fn=cmd_add)
    p = cs.add_parser("list", help="one JSON object a line: id, student, label, prediction, confidence, model, created")
    p.add_argument("--current", action="store_true", help="only the current class session")
    p.set_defaults(fn=cmd_list)
    p = cs.add_parser("export", help="a zip: PNGs in a folder per label, the 28x28 inputs, labels.csv")
    p.add_argument("--out", required=True)
    p.add_argument("--no-names", dest="no_names", action="store_true", help="student-01, ... instead of nicknames")
    p.set_defaults(fn=cmd_export)
    p = cs.add_parser("import", help="add the drawings of an exported zip to the current session")
    p.add_argument("zip")
    p.add_argument("--model", help="the bundle that reads them (default: the Draw page's default)")
    p.set_defaults(fn=cmd_import)
    p = cs.add_parser("clear", help="delete every drawing of every session")
    p.add_argument("--yes", action="store_true")
    p.set_defaults(fn=cmd_clear)
