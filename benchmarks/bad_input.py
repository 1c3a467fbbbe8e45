"""Every bad input the app is known to meet, tried through the command line and through the pages of a running
server (a student's session: a teacher password is set), one line each: the input, what the app said, and
whether anything was lost or changed (the models folder, the class database's rows, the running job). A case
holds when the app refused it with a sentence (the CLI: exit code 2, at most 3 lines, no traceback; a page: its
sentence, no exception) and nothing changed but what it was meant to change. The last line counts them:
"N tried, N refused with a sentence, 0 lost".

    python benchmarks/bad_input.py [--no-pages]

Loopback only; the server is stopped and the temporary class database and inputs are removed at the end.
Exit code 0 when every case held."""
from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import _setup  # noqa: F401  (paths and data folder)
import numpy as np
from PIL import Image

from benchmarks._streamlit_ws import StreamlitSession, canvas_drawing, png_data_url
from core.classroom import limits
from core.classroom.store import open_store
from e2e_support import start_app, stop_app

ROOT = _setup.ROOT
MODELS = ROOT / "models"
NOISE = ("I0000", "W0000", "E0000", "WARNING: All log messages")  # TensorFlow's log lines
TIMEOUT_S = 120.0


def models_state(folder: Path) -> list:
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*") if p.is_file())


class Watch:
    """What must not change: the models folders, the class database's rows, the running job."""

    def __init__(self, db_url: str, folders: list[Path]):
        self.db_url, self.folders = db_url, folders

    def state(self) -> tuple:
        from core.training import jobs

        job = jobs.current()
        return ([models_state(f) for f in self.folders], open_store(self.db_url).count(all_sessions=True),
                job and (job.id, job.state))

    @staticmethod
    def lost(before: tuple, after: tuple, rows_added: int = 0) -> str:
        """'' when nothing changed but `rows_added` drawings, else what changed."""
        what = []
        if before[0] != after[0]:
            what.append("the models folder changed")
        if after[1] - before[1] != rows_added:
            what.append(f"{after[1] - before[1]:+d} database rows (expected {rows_added:+d})")
        if before[2] != after[2]:
            what.append("the running job changed")
        return ", ".join(what)


# ---------------------------------------------------------------- the inputs
def make_inputs(tmp: Path, model: str) -> dict[str, Path]:
    """The bad files the cases use, written into `tmp`."""
    f = {}
    good = Image.new("L", (280, 280), 0)
    good.paste(255, (140, 60, 150, 220))
    good.save(f.setdefault("good", tmp / "seven.png"))
    (f.setdefault("text", tmp / "text.png")).write_text("this is not a picture\n")
    Image.new("1", (30000, 30000)).save(f.setdefault("bomb_png", tmp / "huge.png"), optimize=True)
    (f.setdefault("big_png", tmp / "big.png")).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(50 * 2**20))
    labels = io.StringIO()
    w = csv.writer(labels)
    w.writerow(["file", "input", "label", "student", "session", "created"])
    w.writerows([["big.bin", "big.bin", "7", f"s{i}", "1", ""] for i in range(40)])
    with zipfile.ZipFile(f.setdefault("zip_bomb", tmp / "bomb.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("labels.csv", labels.getvalue())
        with z.open("big.bin", "w", force_zip64=True) as big:
            for _ in range(1536):  # 1.5 GB of zeros, 1.5 MB packed
                big.write(bytes(2**20))
    (f.setdefault("cut_zip", tmp / "cut.zip")).write_bytes(f["zip_bomb"].read_bytes()[: f["zip_bomb"].stat().st_size // 2])
    with zipfile.ZipFile(f.setdefault("bad_crc", tmp / "bad-crc.zip"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("inputs/1.png", f["good"].read_bytes())
        z.writestr("labels.csv", "file,input,label,student,session,created\ninputs/1.png,inputs/1.png,7,ann,1,\n")
    data = bytearray(f["bad_crc"].read_bytes())
    data[100] ^= 0xFF  # inside the stored picture: its checksum no longer matches
    f["bad_crc"].write_bytes(bytes(data))
    with zipfile.ZipFile(f.setdefault("many_rows", tmp / "many-rows.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("labels.csv", "file,input,label,student,session,created\n" + "x,x,7,ann,1,\n" * (limits_rows() + 1))
    (f.setdefault("wide_csv", tmp / "wide.csv")).write_text(
        ",".join(f"pixel{i}" for i in range(784)) + "\n" + ",".join(["0"] * 400_000) + "\n")
    broken_models = tmp / "models"  # a copy of one bundle whose model.keras was cut short
    shutil.copytree(MODELS / model, broken_models / "cut-short")
    keras_file = broken_models / "cut-short" / "model.keras"
    keras_file.write_bytes(keras_file.read_bytes()[: keras_file.stat().st_size // 2])
    f["broken_models"] = broken_models
    return f


def limits_rows() -> int:
    from core.classroom.transfer import MAX_IMPORT_ROWS

    return MAX_IMPORT_ROWS


# ---------------------------------------------------------------- the command line
def cli_cases(f: dict[str, Path], model: str) -> list[tuple[str, list[str], dict]]:
    """(what, arguments of `python -m core`, environment changes)"""
    pred = ["predict", "--model", model]
    add = ["class", "add", "--label", "7", "--student", "ann"]
    return [
        ("CLI: an unknown model", ["predict", "--model", "no-such-model", str(f["good"])], {}),
        ("CLI: a model name with a newline", ["predict", "--model", model + "\n", str(f["good"])], {}),
        ("CLI: a model name with a path", ["predict", "--model", "../models/" + model, str(f["good"])], {}),
        ("CLI: a model.keras cut short", ["predict", "--model", "cut-short", str(f["good"])],
         {"HWLAB_MODELS_DIR": str(f["broken_models"])}),
        ("CLI: a missing picture", pred + [str(f["good"].with_name("missing.png"))], {}),
        ("CLI: a text file as a picture", pred + [str(f["text"])], {}),
        ("CLI: a 50 MB picture", pred + [str(f["big_png"])], {}),
        ("CLI: a 30000x30000 picture", pred + [str(f["bomb_png"])], {}),
        ("CLI: a 30000x30000 picture into the class", add + [str(f["bomb_png"])], {}),
        ("CLI: a label the model does not have", ["class", "add", "--label", "Z", "--student", "ann", str(f["good"])], {}),
        ("CLI: an empty nickname", ["class", "add", "--label", "7", "--student", " ", str(f["good"])], {}),
        ("CLI: a zip bomb into the class", ["class", "import", str(f["zip_bomb"])], {}),
        ("CLI: a zip cut short into the class", ["class", "import", str(f["cut_zip"])], {}),
        ("CLI: a zip with a bad checksum", ["class", "import", str(f["bad_crc"])], {}),
        (f"CLI: a labels.csv of {limits_rows() + 1:,} rows", ["class", "import", str(f["many_rows"])], {}),
        ("CLI: a CSV row of 400,000 fields", ["submit", "--model", model, "--csv", str(f["wide_csv"]), "--out",
                                              str(f["wide_csv"].with_name("s.csv"))], {}),
        ("CLI: an unknown dataset", ["evaluate", "--model", model, "--dataset", "no-such-dataset"], {}),
        ("CLI: epochs out of range", ["train", "--dataset", "sklearn-digits", "--arch", "mlp", "--epochs", "-3"], {}),
        ("CLI: an unknown architecture", ["train", "--dataset", "sklearn-digits", "--arch", "no-such-arch"], {}),
    ]


def run_cli(args: list[str], env: dict) -> tuple[bool, str]:
    """(refused with a sentence, what it said last)"""
    try:
        r = subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, env=env,
                           cwd=ROOT, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False, f"no answer within {TIMEOUT_S:.0f} s"
    out = r.stderr + r.stdout
    said = [line for line in out.splitlines() if line.strip() and not line.startswith(NOISE)]
    ok = r.returncode == 2 and "Traceback" not in out and 0 < len(said) <= 3
    last = said[-1] if said else "(nothing said)"
    try:  # `predict` says a file's error as a JSON line: its sentence is what a reader needs
        last = json.loads(last).get("error", last)
    except (ValueError, AttributeError):
        pass
    return ok, f"exit {r.returncode}: {last}"


# ---------------------------------------------------------------- the pages
async def page_cases(url: str, f: dict[str, Path]) -> list[tuple[str, bool, str, int]]:
    """(what, refused with a sentence, what the page said, drawings it was meant to add) for each page case."""
    out = []

    async def draw_page() -> tuple[StreamlitSession, object]:
        sess = StreamlitSession(url)
        await sess.connect(TIMEOUT_S)
        return sess, await sess.rerun(TIMEOUT_S)

    def said(run) -> str:
        texts = [el.alert.body for _, k, el, _ in run.elements if k == "alert"]
        texts += [el.exception.message for _, k, el, _ in run.elements if k == "exception"]
        return texts[-1] if texts else "(nothing said)"

    for what, name, data, sentence in [
        ("page: a 50 MB picture upload", "big.png", f["big_png"].read_bytes(), "the limit is 10 MB"),
        ("page: a 30000x30000 picture upload", "huge.png", f["bomb_png"].read_bytes(), "too large to read"),
        ("page: a text file uploaded as a picture", "text.png", f["text"].read_bytes(), "not a picture we can read"),
    ]:
        sess, run = await draw_page()
        try:
            uploader = run.first("file_uploader")
            status, widget = sess.upload(uploader[1].id, name, data)
            run = await sess.rerun(TIMEOUT_S, [widget])
            exceptions = [1 for _, k, _, _ in run.elements if k == "exception"]
            out.append((what, status == 204 and sentence in said(run) and not exceptions, said(run), 0))
        finally:
            await sess.close()

    sess, run = await draw_page()  # over the server's own limit: refused before the page ever sees it
    try:
        status, _ = sess.upload(run.first("file_uploader")[1].id, "huge.csv", bytes(100 * 2**20))
        answer = f"HTTP {status}" if status else "the server closed the connection before the body was sent"
        out.append(("page: a 100 MB upload", status in (0, 413), f"{answer} (over server.maxUploadSize)", 0))
    finally:
        await sess.close()

    # Two browser sessions of one student (the same nickname) share one send limit.
    sent = refused = 0
    tries = limits.SENDS_PER_MINUTE + 6
    sessions = []
    for _ in range(2):
        sess, run = await draw_page()
        name = run.first("text_input", label="Your name")  # typed once, as a student does
        await sess.rerun(TIMEOUT_S, [(name[1].id, "string_value", "Sam")], name[2])
        sessions.append((sess, run.first("bidi_component")))
    try:
        for i in range(tries):
            sess, canvas = sessions[i % 2]
            rgba = np.zeros((280, 280, 4), np.uint8)
            rgba[60:220, 130:140] = 255  # a 1 with a foot of another length each time: a new drawing (the model
            rgba[210:220, 140:150 + 4 * i] = 255  # input is centred, so a bar moved elsewhere would be the same one)
            run = await sess.rerun(TIMEOUT_S, [(canvas[1].id, *canvas_drawing(png_data_url(rgba)))], canvas[2])
            button = next(((b, frag) for _, k, el, frag in run.elements if k == "button"
                           and (b := el.button).label == "Send to the class" and not b.disabled), None)
            if button is None:
                raise RuntimeError(f"no Send button after a drawing: {said(run)}")
            run = await sess.rerun(TIMEOUT_S, [(button[0].id, "trigger_value", True)], button[1])
            if any("drawings this minute: wait" in el.alert.body for _, k, el, _ in run.elements if k == "alert"):
                refused += 1
            elif run.first("toast") is not None:
                sent += 1
            else:
                raise RuntimeError(f"a send neither sent nor refused ({i}): {said(run)} {[k for _, k, _, _ in run.elements]}")
            sessions[i % 2] = (sess, run.first("bidi_component") or canvas)  # a sent drawing: a fresh canvas
    finally:
        for sess, _ in sessions:
            await sess.close()
    out.append((f"page: {tries} sends a minute as 'Sam' from two browser sessions",
                sent == limits.SENDS_PER_MINUTE and refused == tries - sent,
                f"{sent} sent, {refused} refused: \"That is {limits.SENDS_PER_MINUTE} drawings this minute: wait ...\"",
                sent))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-pages", action="store_true", help="the command line only, no server")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hwlab-bad-input-"))
    db_url = f"sqlite:///{tmp}/class.db"
    env = dict(os.environ, HWLAB_DB_URL=db_url, HWLAB_MODELS_DIR=str(MODELS), HWLAB_JOBS_DIR=str(tmp / "jobs"),
               TF_CPP_MIN_LOG_LEVEL="3")
    os.environ.update(HWLAB_DB_URL=db_url, HWLAB_JOBS_DIR=str(tmp / "jobs"))
    model = "mnist-hwnet-lite-pen" if (MODELS / "mnist-hwnet-lite-pen").is_dir() else "mnist-hwnet"
    proc = None
    try:
        f = make_inputs(tmp, model)
        watch = Watch(db_url, [MODELS, f["broken_models"]])
        results = []

        def note(what, ok, said, changed):  # one line, as soon as it is known
            results.append((what, ok, said, changed))
            print(f"{'ok  ' if ok and not changed else 'FAIL'} {what}: {said[:120]} | "
                  f"{changed or 'nothing lost or changed'}", flush=True)
        for what, args, extra in cli_cases(f, model):
            before = watch.state()
            ok, said = run_cli(args, {**env, **extra})
            note(what, ok, said, watch.lost(before, watch.state()))
        if not a.no_pages:
            proc, url = start_app({**env, "HWLAB_TEACHER_PASSWORD": "a-teacher-password"})
            before = watch.state()
            pages = asyncio.run(page_cases(url, f))
            changed = watch.lost(before, watch.state(), sum(added for *_, added in pages))  # all the page cases
            for what, ok, said, _ in pages:
                note(what, ok, said, changed and f"while the pages were tried: {changed}")
        held = sum(ok and not changed for _, ok, _, changed in results)
        lost = sum(bool(changed) for *_, changed in results)
        print(f"{len(results)} tried, {held} refused with a sentence, {lost} lost")
        return 0 if held == len(results) and not lost else 1
    finally:
        if proc is not None:
            stop_app(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
