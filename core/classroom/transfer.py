"""The class's drawings in and out as a zip: `<label>/<id>.png` (the drawing as sent) for every drawing,
`inputs/<id>.png` (its 28x28 model input) and `labels.csv` (file, input, label, student, session, created,
model, prediction, confidence). Export can drop the nicknames (student-01, student-02, ... instead)."""
from __future__ import annotations

import csv
import io
import itertools
import math
import zipfile
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import HWLabError
from ..model.input import to_uint8
from ..model.preprocess import MAX_UPLOAD_BYTES
from .pictures import input_png, read_input_png
from .store import MAX_DRAWINGS_PER_SESSION, Store

FIELDS = ["file", "input", "label", "student", "session", "created", "model", "prediction", "confidence"]
# An import's bounds, checked from the zip's directory before anything is unpacked (a zip bomb is refused, not
# read): an export holds two small PNGs per drawing (a 140 px thumbnail and the 28x28 input) and labels.csv.
MAX_IMPORT_ROWS = MAX_DRAWINGS_PER_SESSION  # an import goes into one class session
MAX_ZIP_FILES = 2 * MAX_IMPORT_ROWS + 10
MAX_MEMBER_BYTES = MAX_UPLOAD_BYTES  # a picture: the upload limit
MAX_LABELS_BYTES = 50 * 1024 * 1024  # labels.csv: about 200 bytes a row
MAX_ZIP_BYTES = 200 * 1024 * 1024  # everything unpacked (a full session's export is about 20 MB)


def _safe_label(label: str) -> str:
    """A label as a folder name in the zip: letters and digits as they are (case kept)."""
    return label if label.isalnum() else f"u{ord(label[0]):04x}"


def export_zip(store: Store, out: Path, keep_names: bool = True, room_id: Optional[int] = None) -> int:
    """Writes every drawing of every session of the room (default: the default room) to `out`; returns how many."""
    rows = store.drawings(all_sessions=True, room_id=room_id)
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


def _zip_sentence(path: Path, exc: BaseException) -> HWLabError:
    """A damaged zip (a bad checksum, cut short, a corrupt stream) as one sentence."""
    detail = str(exc).strip() or type(exc).__name__
    return HWLabError(f"{path} is damaged or cut short and cannot be imported ({detail}); nothing was added.")


def _checked_members(path: Path, zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The zip's members by name, refused (before any is read) when there are too many, when one is larger than
    a member of an export can be, or when together they would unpack to more than MAX_ZIP_BYTES."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_FILES:
        raise HWLabError(f"{path} holds {len(infos):,} files, more than the {MAX_ZIP_FILES:,} an export can have: "
                         f"not imported.")
    members = {i.filename: i for i in infos if not i.is_dir()}
    if "labels.csv" not in members:
        raise HWLabError(f"{path} has no labels.csv: it is not an export of `python -m core class export`.")
    for info in infos:
        cap = MAX_LABELS_BYTES if info.filename == "labels.csv" else MAX_MEMBER_BYTES
        if info.file_size > cap:
            raise HWLabError(f"{path}: {info.filename} would unpack to {info.file_size / 1e6:,.0f} MB, more than the "
                             f"{cap / 1e6:,.0f} MB a file of an export can be: not imported.")
    total = sum(i.file_size for i in infos)
    if total > MAX_ZIP_BYTES:
        raise HWLabError(f"{path} would unpack to {total / 1e6:,.0f} MB, more than {MAX_ZIP_BYTES / 1e6:,.0f} MB: "
                         f"not imported.")
    return members


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """One member's bytes, never more than its declared size (a member that lies about it is refused)."""
    with zf.open(info) as fh:
        data = fh.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise zipfile.BadZipFile(f"{info.filename} is larger than the zip says")
    return data


def read_zip(path: Path) -> list[dict]:
    """The drawings of an exported zip: dicts with label, student, created, picture (bytes), input28. Member
    counts and sizes are checked before anything is unpacked, labels.csv has at most MAX_IMPORT_ROWS rows, and
    each member is unpacked once however many rows name it; a bomb or a damaged zip is one sentence."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise HWLabError(f"{path} is not a zip of the class's drawings ({exc}).") from None
    with zf:
        members = _checked_members(path, zf)
        unpacked: dict[str, bytes] = {}

        def member(name: str | None) -> bytes | None:
            if name not in members:
                return None
            if name not in unpacked:
                unpacked[name] = _read_member(zf, members[name])
            return unpacked[name]

        inputs: dict[str, np.ndarray] = {}
        try:
            text = member("labels.csv").decode("utf-8")
            rows = list(itertools.islice(csv.DictReader(io.StringIO(text)), MAX_IMPORT_ROWS + 1))
            if len(rows) > MAX_IMPORT_ROWS:
                raise HWLabError(f"{path}: labels.csv has more than {MAX_IMPORT_ROWS:,} rows: not imported.")
            out = []
            for i, r in enumerate(rows, start=2):
                try:
                    created = datetime.fromisoformat(r["created"]).timestamp() if r.get("created") else None
                    name = r.get("input")
                    if name in members and name not in inputs:
                        inputs[name] = read_input_png(member(name))
                    out.append({"label": r["label"], "student": r["student"], "created": created,
                                "picture": member(r.get("file")), "input28": inputs.get(name)})
                except (KeyError, ValueError, TypeError) as exc:
                    raise HWLabError(f"{path}, labels.csv line {i}: {exc}.") from None
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
            raise _zip_sentence(path, exc) from None
        except UnicodeDecodeError:
            raise HWLabError(f"{path}: labels.csv is not UTF-8 text: not imported.") from None
    return out


def _same_drawing_key(student: str, label: str, created, x) -> tuple:
    """What makes two drawings one: nickname, label, the second it was sent in (an export writes whole seconds,
    cut, not rounded) and the 28x28 input as the store keeps it."""
    a = np.asarray(x)
    if a.dtype != np.uint8:  # a model input in [0, 1]: as the store keeps it
        a = to_uint8(a)
    return (student, label, math.floor(created or 0), a.reshape(28, 28).tobytes())


def not_yet_in(rows: list[dict], existing) -> list[dict]:
    """The rows (cmd_import's: student, label, created, x) that are not already among `existing` drawings (every
    session of the room): importing the same zip twice, or a room's export back into it, adds nothing again."""
    seen = {_same_drawing_key(d.student, d.label, d.created, d.input28) for d in existing}
    out = []
    for r in rows:
        key = _same_drawing_key(r["student"], r["label"], r["created"], r["x"])
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
