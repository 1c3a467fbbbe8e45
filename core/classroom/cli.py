"""`python -m core class ...`: the class's drawings from the command line (add, list, export, import, clear,
rooms). Each works on one room: `--room CODE`, by default the default room (the one the drawings from before
rooms went into). Registered into core/cli.py's parser by add_class_commands."""
from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import BadImage, BadModel, HWLabError


def default_model() -> str:
    """The bundle that reads the drawings when no --model is given (registry.default_model)."""
    from .. import registry

    name = registry.default_model()
    if name is None:
        raise BadModel("No usable model in the models folder (HWLAB_MODELS_DIR) to read the drawings with.")
    return name


def _print(obj) -> None:
    print(json.dumps(obj), flush=True)


def _room_id(a):
    """The store and the room id `--room CODE` names (None: the default room)."""
    from .rooms import find
    from .store import open_store

    store = open_store()
    return store, (find(store, a.room).id if a.room else None)


def _predictor(name):
    from .. import registry

    return registry.Predictor(name or default_model())


def cmd_add(a) -> int:
    from .. import registry
    from ..model import preprocess
    from .pictures import thumbnail_png
    from .store import check_label, clean_student

    store, room_id = _room_id(a)
    name = a.model or default_model()
    bundle = registry.inspect(name)
    if not bundle.ok:
        raise BadModel(bundle.error)
    # The label, the nickname and every picture are checked from the card, before TensorFlow and the model load.
    classes = [str(c) for c in bundle.card["classes"]]
    style = bundle.card.get("preprocess", "mnist")  # what Predictor.style says
    label, student = check_label(a.label, classes), clean_student(a.student)
    rows = []
    for f in a.files:
        try:
            img = preprocess.read_image(Path(f).read_bytes(), f)
        except OSError as exc:
            raise BadImage(f"cannot read {f}: {exc.strerror or exc}") from None
        x = preprocess.prepare(img, style).x
        if x is None:
            raise BadImage(f"{f}: no ink found (a blank picture); nothing was added.")
        rows.append(dict(student=student, label=label, x=x, style=style, model=name, classes=classes,
                         canvas_png=thumbnail_png(img)))
    probs = _predictor(name)(np.concatenate([r["x"] for r in rows]))
    for r, pr in zip(rows, probs):
        r["probs"] = pr
    ids = store.add_many(rows, room_id=room_id)  # all or none
    _print({"added": len(ids), "student": student, "label": label, "model": name, "ids": ids})
    return 0


def cmd_list(a) -> int:
    store, room_id = _room_id(a)
    for d in store.drawings(all_sessions=not a.current, room_id=room_id):
        _print({"id": d.id, "session": d.session_id, "student": d.student, "label": d.label,
                "prediction": d.prediction, "confidence": round(d.confidence, 5), "model": d.model,
                "created": datetime.fromtimestamp(d.created, timezone.utc).isoformat(timespec="seconds")})
    return 0


def cmd_export(a) -> int:
    from .transfer import export_zip

    out = Path(a.out)
    if out.suffix.lower() != ".zip":
        raise HWLabError(f"--out must name a .zip file, not {a.out!r}.")
    store, room_id = _room_id(a)
    n = export_zip(store, out, keep_names=not a.no_names, room_id=room_id)
    _print({"exported": n, "out": str(out), "nicknames": not a.no_names})
    return 0


def cmd_import(a) -> int:
    from ..model import preprocess
    from .pictures import thumbnail_png
    from .transfer import not_yet_in, read_zip

    store, room_id = _room_id(a)
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
    fresh = not_yet_in(rows, store.drawings(all_sessions=True, room_id=room_id))  # the same zip twice: once
    skipped, rows = len(rows) - len(fresh), fresh
    if rows:
        batch = np.stack([(np.asarray(r["x"], np.float32) / (255.0 if np.asarray(r["x"]).dtype == np.uint8 else 1.0))
                          .reshape(28, 28, 1) for r in rows])
        for r, pr in zip(rows, p(batch)):
            r["probs"] = pr
    ids = store.add_many(rows, room_id=room_id)  # all or none
    _print({"imported": len(ids), "already_there": skipped, "model": p.bundle.name})
    return 0


def cmd_clear(a) -> int:
    if not a.yes:
        raise HWLabError("This deletes every drawing of every class session of the room: add --yes to do it.")
    store, room_id = _room_id(a)
    _print({"deleted": store.clear(room_id)})
    return 0


def cmd_rooms(a) -> int:
    from .rooms import close_idle, every_room
    from .store import open_store

    store = open_store()
    close_idle(store)
    for r in every_room(store):
        _print({"code": r["code"], "name": r["name"], "open": not r["closed"], "default": r["owner"] is None,
                "drawings": r["drawings"],
                "opened": datetime.fromtimestamp(r["opened"], timezone.utc).isoformat(timespec="seconds")})
    return 0


def add_class_commands(sub) -> None:
    c = sub.add_parser("class", help="the class's drawings: add, list, export, import, clear, rooms")
    cs = c.add_subparsers(dest="class_command", required=True)
    room = argparse.ArgumentParser(add_help=False)
    room.add_argument("--room", metavar="CODE", help="the room's join code (default: the default room, which holds "
                                                     "the drawings from before rooms)")
    p = cs.add_parser("add", parents=[room], help="add pictures (each prepared like a canvas drawing, then predicted)")
    p.add_argument("--label", required=True, help="what the pictures show (one of the model's classes)")
    p.add_argument("--student", required=True, help="a nickname, at most 24 characters")
    p.add_argument("--model", help="the bundle that reads them (default: the Draw page's default)")
    p.add_argument("files", nargs="+")
    p.set_defaults(fn=cmd_add)
    p = cs.add_parser("list", parents=[room], help="one JSON object a line: id, student, label, prediction, confidence, model, created")
    p.add_argument("--current", action="store_true", help="only the current class session")
    p.set_defaults(fn=cmd_list)
    p = cs.add_parser("export", parents=[room], help="a zip: PNGs in a folder per label, the 28x28 inputs, labels.csv")
    p.add_argument("--out", required=True)
    p.add_argument("--no-names", dest="no_names", action="store_true", help="student-01, ... instead of nicknames")
    p.set_defaults(fn=cmd_export)
    p = cs.add_parser("import", parents=[room], help="add the drawings of an exported zip to the current session")
    p.add_argument("zip")
    p.add_argument("--model", help="the bundle that reads them (default: the Draw page's default)")
    p.set_defaults(fn=cmd_import)
    p = cs.add_parser("clear", parents=[room], help="delete every drawing of every session")
    p.add_argument("--yes", action="store_true")
    p.set_defaults(fn=cmd_clear)
    p = cs.add_parser("rooms", help="one JSON object a line: code, name, open, default, drawings, opened")
    p.set_defaults(fn=cmd_rooms)
