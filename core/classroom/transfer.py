"""The class's drawings in and out as a zip: `<label>/<id>.png` (the drawing as sent) for every drawing,
`inputs/<id>.png` (its 28x28 model input) and `labels.csv` (file, input, label, student, session, created,
model, prediction, confidence). Export can drop the nicknames (student-01, student-02, ... instead)."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from ..errors import HWLabError
from .pictures import input_png, read_input_png
from .store import Store

FIELDS = ["file", "input", "label", "student", "session", "created", "model", "prediction", "confidence"]
MAX_ZIP_FILES = 200_000


def _safe_label(label: str) -> str:
    """A label as a folder name in the zip: letters and digits as they are (case kept)."""
    return label if label.isalnum() else f"u{ord(label[0]):04x}"


def export_zip(store: Store, out: Path, keep_names: bool = True) -> int:
    """Writes every drawing of every session to `out`; returns how many."""
    rows = store.drawings(all_sessions=True)
    pseudonyms: dict[str, str] = {}
    buf = io.StringIO()
    w = csv.DictWriter(buf, FIELDS)
    w.writeheader()
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for d in rows:
            name = d.student if keep_names else pseudonyms.setdefault(d.student, f"student-{len(pseudonyms) + 1:02d}")
            picture = store.canvas_png(d.id) or input_png(d.input28)
            f, inp = f"{_safe_label(d.label)}/{d.id}.png", f"inputs/{d.id}.png"
            zf.writestr(f, picture)
            zf.writestr(inp, input_png(d.input28))
            w.writerow({"file": f, "input": inp, "label": d.label, "student": name, "session": d.session_id,
                        "created": datetime.fromtimestamp(d.created, timezone.utc).isoformat(timespec="seconds"),
                        "model": d.model, "prediction": d.prediction, "confidence": round(d.confidence, 5)})
        zf.writestr("labels.csv", buf.getvalue())
    tmp.replace(out)
    return len(rows)


def read_zip(path: Path) -> list[dict]:
    """The drawings of an exported zip: dicts with label, student, created, picture (bytes), input28."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise HWLabError(f"{path} is not a zip of the class's drawings ({exc}).") from None
    with zf:
        names = set(zf.namelist())
        if "labels.csv" not in names or len(names) > MAX_ZIP_FILES:
            raise HWLabError(f"{path} has no labels.csv: it is not an export of `python -m core class export`.")
        rows = list(csv.DictReader(io.StringIO(zf.read("labels.csv").decode("utf-8"))))
        out = []
        for i, r in enumerate(rows, start=2):
            try:
                created = datetime.fromisoformat(r["created"]).timestamp() if r.get("created") else None
                out.append({"label": r["label"], "student": r["student"], "created": created,
                            "picture": zf.read(r["file"]) if r.get("file") in names else None,
                            "input28": read_input_png(zf.read(r["input"])) if r.get("input") in names else None})
            except (KeyError, ValueError, OSError) as exc:
                raise HWLabError(f"{path}, labels.csv line {i}: {exc}.") from None
    return out
