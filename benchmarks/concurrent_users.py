"""A classroom at once: N sessions (default 20) on one `streamlit run app.py` over the shipped models, each drawing
a digit on the Draw page, reading the prediction, clicking Clear, and again, for --seconds. Beside it, measured in
the same run on the same server: the same loop with 1 session (the baseline).

Two kinds of client:
- websocket (default): Streamlit's own protocol without a browser (benchmarks/_streamlit_ws.py). A drawing is
  what the browser sends at mouse-up (the canvas component's new state with its PNG, for the drawing fragment),
  after --draw-seconds (the time to draw it); the time is from sending it to the prediction's arrival. The
  clients cost almost no CPU, so on a 2-core machine this measures the server.
- browser: headless Chromium sessions drawing with the mouse, timed from mouse-up to the prediction shown. Twenty
  Chromiums on 2 cores mostly measure the browsers.

Reported per phase: predictions, errors (timeouts, a missing or wrong prediction, a Streamlit exception or error
on a page, a Clear that did not clear), median and p95 to the prediction, the server's memory (RSS from
/proc/<pid>/status at the start and end of the phase, and its peak), and how many times the server loaded a model
(it should load the one model the pages use once for the whole process, however many sessions use it).

    python benchmarks/concurrent_users.py [--sessions 20] [--seconds 60] [--clients websocket|browser]
    python benchmarks/concurrent_users.py --sessions 30 --with-training   # and again beside a training job

Loopback only (127.0.0.1); every loop and wait is bounded, and the server and browser are stopped at the end.
The digits are real one-stroke pen digits (pen-strokes/pendigits-train-writers), rendered by the drawn-input
protocol; only those the model reads right are used, so a wrong answer points at the app (a stale or mixed-up
drawing), not at the model. Sessions draw different digits at once."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import _setup  # noqa: F401  (paths and data folder)
from PIL import Image

from benchmarks._streamlit_ws import StreamlitSession, canvas_drawing, png_data_url
from benchmarks.browser_latency import one_stroke_digits
from core import registry
from core.datasets.strokes import render
from e2e_support import ANSWER_JS, CHROMIUM, CHROMIUM_ARGS, canvas_points, free_port

ROOT = _setup.ROOT
MODELS = ROOT / "models"
LOAD_MARK = "[concurrent_users] model load"
RUN_MARK = "[concurrent_users] script run s"
ARGS = CHROMIUM_ARGS + ["--disable-renderer-backgrounding", "--disable-background-timer-throttling",
                        "--disable-backgrounding-occluded-windows"]
WAIT_PREDICTION_S = 30.0  # a prediction later than this counts as a timeout
WAIT_PAGE_S = 120.0  # first page load (a cold model) and recovery after a failure

# The server, with Predictor construction and the length of every script run (a stroke, a Clear, a page load) logged:
# the benchmark counts model loads, and tells the server's own time apart from the browsers' on the same cores.
BOOT = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from core import registry
_init = registry.Predictor.__init__
def _logged(self, name):
    print({LOAD_MARK!r}, name, flush=True, file=sys.stderr)
    _init(self, name)
registry.Predictor.__init__ = _logged
import time
from streamlit.runtime.scriptrunner import script_runner
_run = script_runner.ScriptRunner._run_script
def _timed(self, rerun_data):
    t = time.perf_counter()
    try:
        return _run(self, rerun_data)
    finally:
        sys.stderr.write(f"{RUN_MARK} {{time.perf_counter() - t:.6f}}\\n")  # one write: threads interleave prints
        sys.stderr.flush()
script_runner.ScriptRunner._run_script = _timed
from streamlit.web import cli
sys.argv = ["streamlit", "run", {str(ROOT / "app.py")!r}] + sys.argv[1:]
sys.exit(cli.main())
"""


def start_server(log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "HWLAB_MODELS_DIR": str(MODELS)}
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-c", BOOT, "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            if urllib.request.urlopen(url + "_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"streamlit did not start; see {log_path}")


def rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def script_runs(log_path: Path) -> list[float]:
    # Runs end on several threads at once, so their lines can be interleaved: match the marks, not lines.
    pattern = re.escape(RUN_MARK) + r" ([0-9]+\.[0-9]{6})"
    return [float(v) for v in re.findall(pattern, log_path.read_text(errors="replace"))]


def machine_busy_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = v[3] + v[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(v[:8]) - idle) / hz, sum(v[:8]) / hz


def model_loads(log_path: Path) -> list[str]:
    return [line.split(LOAD_MARK, 1)[1].strip() for line in log_path.read_text(errors="replace").splitlines()
            if LOAD_MARK in line]


def vetted_digits(model: str, want: int = 30, scan: int = 120) -> list[tuple[int, dict]]:
    """One-stroke pen digits that `model` reads right (>= 90%) when rendered as the canvas would hand them over,
    checked with `python -m core predict` in its own process (so the model is not held in this one)."""
    cands = one_stroke_digits(scan)
    with tempfile.TemporaryDirectory() as d:
        files = []
        for i, s in cands:
            f = Path(d) / f"{i}.png"
            Image.fromarray(render(s["strokes"], i), "RGBA").save(f)
            files.append(str(f))
        out = subprocess.run([sys.executable, "-m", "core", "predict", "--model", model, *files], cwd=ROOT,
                             env={**os.environ, "HWLAB_MODELS_DIR": str(MODELS)}, capture_output=True, text=True,
                             timeout=300)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    if len(rows) != len(cands):
        raise RuntimeError(f"vetting the digits failed: {out.stderr[-2000:]}")
    good = [(i, s) for (i, s), r in zip(cands, rows) if r.get("label") == s["label"] and r.get("confidence", 0) >= 0.9]
    by_label: dict[str, list] = {}
    for i, s in good:  # interleave the labels so sessions drawing at once draw different digits
        by_label.setdefault(s["label"], []).append((i, s))
    mixed = [x for group in zip(*by_label.values()) for x in group] if by_label else []
    rest = [x for x in good if x not in mixed]
    return (mixed + rest)[:want]


@dataclass
class Phase:
    sessions: int
    latencies: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    rss: list = field(default_factory=list)  # sampled (time, MB)
    cpu: float = 0.0  # the server's CPU seconds during the phase
    busy: float = 0.0  # the whole machine's CPU seconds during the phase (every process, the browsers included)
    wall: float = 0.0
    runs: list = field(default_factory=list)  # the server's script runs during the phase, in seconds
    load: tuple = ()  # the machine's 1-minute load average at the start and the end

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def pct(values, q: float) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q
    lo = int(k)
    return v[lo] + (v[min(lo + 1, len(v) - 1)] - v[lo]) * (k - lo)


async def drawing_loop(sid: int, pool, deadline: list, phase: Phase, ready: asyncio.Event, started: list,
                       open_page, draw_one, close) -> None:
    """What every kind of session does: open the Draw page, wait until all sessions are there, then draw one pool
    digit after another until the deadline; after a failure (already counted by draw_one), a fresh page."""
    try:
        await open_page()
        started.append(sid)
        await ready.wait()  # every session is on the page: start drawing together
        j = 0
        while time.time() < deadline[0]:
            i, s = pool[(sid * 7 + j) % len(pool)]
            j += 1
            try:
                await draw_one(i, s)
            except Exception:
                if time.time() < deadline[0]:  # recover with a fresh page and go on
                    try:
                        await open_page()
                    except Exception:
                        phase.error("page did not load")
                        return
    except Exception:
        phase.error("page did not load")
    finally:
        await close()


def check_prediction(phase: Phase, sid: int, i: int, s: dict, got: str, seconds: float) -> None:
    phase.latencies.append(seconds)
    if got != s["label"]:
        phase.error("wrong prediction")
        print(f"  session {sid}: drew a {s['label']} (sample {i}), the page said {got!r}", flush=True)


async def one_session(browser, url: str, sid: int, pool, deadline: list, phase: Phase, ready: asyncio.Event,
                      started: list) -> None:
    """One student in Chromium: draws with the mouse, reads the metric, clicks Clear."""
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    invitation = page.get_by_text("Draw a digit on the black canvas")
    canvas = page.locator("canvas.upper-canvas").first
    clear = page.get_by_role("button", name=re.compile("Clear"))
    problems = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')

    async def fresh_page():
        await page.goto(url, timeout=WAIT_PAGE_S * 1000)
        await canvas.wait_for(state="visible", timeout=WAIT_PAGE_S * 1000)
        await invitation.wait_for(timeout=WAIT_PAGE_S * 1000)

    async def draw_one(i, s):
        await asyncio.sleep(0.5)  # a fresh canvas takes a moment to take mouse input
        box = await canvas.bounding_box()
        pts = canvas_points(s["strokes"], i, box)[0]
        await page.mouse.move(*pts[0])
        await page.mouse.down()
        for pt in pts[1:]:
            await page.mouse.move(*pt, steps=2)
        await page.mouse.up()
        t0 = time.time()
        try:
            # Looked for every 20 ms in each page: every frame in 40 pages would load the machine we measure.
            shown = await page.wait_for_function(ANSWER_JS, polling=20, timeout=WAIT_PREDICTION_S * 1000)
        except Exception:
            phase.error("timeout or missing prediction")
            raise
        dt = time.time() - t0
        got = await shown.json_value()
        if await problems.count():
            phase.error("exception or error on the page")
            raise RuntimeError("exception")
        check_prediction(phase, sid, i, s, got, dt)
        await clear.click(timeout=WAIT_PREDICTION_S * 1000)
        try:
            await invitation.wait_for(timeout=WAIT_PREDICTION_S * 1000)
        except Exception:
            phase.error("Clear did not clear")
            raise

    await drawing_loop(sid, pool, deadline, phase, ready, started, fresh_page, draw_one, context.close)


async def ws_session(url: str, sid: int, pool, deadline: list, phase: Phase, ready: asyncio.Event, started: list,
                     draw_s: float, klass=None) -> None:
    """One student without a browser: the websocket messages the Draw page's browser sends. A drawing is the
    canvas component's new state (its PNG, as streamlit-drawable-canvas sends it at mouse-up) for the drawing
    fragment; Clear is the button's trigger. Before each drawing, 0.5 to 1.5 times `draw_s` seconds pass (the time
    to draw it; sessions start together, as when a teacher says "go", and drift apart as students do)."""
    sess = StreamlitSession(url, klass.query(sid) if klass else "")
    ids = {}

    def take_ids(run):
        c, b = run.first("bidi_component"), run.first("button", label="Clear")
        if c is None or b is None:
            raise RuntimeError("no canvas or Clear button on the page")
        ids.update(canvas=c[1].id, fragment=c[2], clear=b[1].id)

    async def fresh_page():
        await sess.close()
        await sess.connect(WAIT_PAGE_S)
        run = await sess.rerun(WAIT_PAGE_S)
        take_ids(run)
        if klass:  # --class: the nickname, typed once
            await klass.type_name(sess, run, sid, WAIT_PAGE_S)

    rng = random.Random(sid)

    async def draw_one(i, s):
        await asyncio.sleep(draw_s * rng.uniform(0.5, 1.5))  # students draw at different speeds
        try:
            run = await sess.rerun(WAIT_PREDICTION_S, [(ids["canvas"], *canvas_drawing(s["png"]))], ids["fragment"])
        except (TimeoutError, asyncio.TimeoutError):
            phase.error("timeout or missing prediction")
            raise
        shown = run.answer()
        if run.problems():
            phase.error("exception or error on the page")
            raise RuntimeError(run.problems()[0])
        if shown is None:
            phase.error("timeout or missing prediction")
            raise RuntimeError("no prediction")
        check_prediction(phase, sid, i, s, shown[1].body, shown[0])
        if klass:  # --class: every drawing sent to the class; the send clears the canvas for the next one
            try:
                run = await klass.send(sess, run, WAIT_PREDICTION_S, sid)
            except Exception:
                phase.error("send to the class failed")
                raise
        else:
            run = await sess.rerun(WAIT_PREDICTION_S, [(ids["clear"], "trigger_value", True)], ids["fragment"])
        if run.answer() is not None or run.problems():
            phase.error("Clear did not clear" if not klass else "the send did not clear the canvas")
            raise RuntimeError("not cleared")
        take_ids(run)  # a new, empty canvas

    await drawing_loop(sid, pool, deadline, phase, ready, started, fresh_page, draw_one, sess.close)


async def sample_rss(pid: int, phase: Phase, stop: asyncio.Event) -> None:
    while not stop.is_set():
        phase.rss.append((time.time(), rss_mb(pid)))
        try:
            await asyncio.wait_for(stop.wait(), 0.25)
        except asyncio.TimeoutError:
            pass
    phase.rss.append((time.time(), rss_mb(pid)))


async def run_phase(session, url: str, pid: int, n: int, seconds: float, pool, log_path: Path) -> Phase:
    """n sessions open the page; once every one is there (or gave up), they draw for `seconds`."""
    phase = Phase(n)
    cpu0, load0, (busy0, _), t0 = cpu_s(pid), os.getloadavg()[0], machine_busy_s(), time.time()
    runs0 = len(script_runs(log_path))
    stop, ready, started = asyncio.Event(), asyncio.Event(), []
    sampler = asyncio.create_task(sample_rss(pid, phase, stop))
    deadline = [time.time() + 2 * WAIT_PAGE_S]  # set for real once the pages are loaded
    sessions = [asyncio.create_task(session(url, sid, pool, deadline, phase, ready, started)) for sid in range(n)]
    while len(started) + sum(t.done() for t in sessions) < n and time.time() < deadline[0]:
        await asyncio.sleep(0.2)
    deadline[0] = time.time() + seconds
    ready.set()
    try:
        await asyncio.wait_for(asyncio.gather(*sessions), timeout=seconds + 2 * WAIT_PAGE_S)
    finally:
        stop.set()
        await sampler
        phase.cpu, phase.load = cpu_s(pid) - cpu0, (load0, os.getloadavg()[0])
        phase.busy, phase.wall = machine_busy_s()[0] - busy0, time.time() - t0
        phase.runs = script_runs(log_path)[runs0:]
    return phase


def report(title: str, p: Phase, seconds: float, loads: list[str]) -> None:
    n_err = sum(p.errors.values())
    rss = [m for _, m in p.rss]
    lat = p.latencies
    print(f"{title}: {p.sessions} session(s) for {seconds:.0f} s")
    print(f"  predictions {len(lat)} ({len(lat) / seconds:.1f}/s), errors {n_err}"
          + (f" ({', '.join(f'{k}: {v}' for k, v in p.errors.items())})" if n_err else ""))
    if lat:
        print(f"  mouse-up -> prediction: median {statistics.median(lat):.2f} s, p95 {pct(lat, 0.95):.2f} s, "
              f"max {max(lat):.2f} s")
    if p.runs:
        print(f"  the server's script runs (strokes, Clears, page loads): {len(p.runs)}, median "
              f"{statistics.median(p.runs):.2f} s, p95 {pct(p.runs, 0.95):.2f} s")
    if lat:
        print(f"  server CPU {p.cpu:.1f} s in all, {p.cpu / len(lat) * 1000:.0f} ms a prediction; the machine's "
              f"{os.cpu_count()} cores busy {p.busy / p.wall:.2f} on average (browsers, server and everything else), "
              f"load average {p.load[0]:.1f} -> {p.load[1]:.1f}")
    if rss:
        print(f"  server RSS: start {rss[0]:.0f} MB, end {rss[-1]:.0f} MB (growth {rss[-1] - rss[0]:+.0f} MB), "
              f"peak {max(rss):.0f} MB")
    print(f"  model loads by the server during this phase: {len(loads)} ({', '.join(loads) or 'none'})")


async def phases(a, session, url: str, pid: int, pool, log_path: Path) -> tuple:
    t0 = time.time()  # warm-up: the first session imports TensorFlow and loads the model
    warm = await run_phase(session, url, pid, 1, 0.1, pool, log_path)
    cold = time.time() - t0
    loads0 = model_loads(log_path)
    base = await run_phase(session, url, pid, 1, a.baseline_seconds, pool, log_path)
    loads1 = model_loads(log_path)
    stop_wall = asyncio.Event()
    wall = a.klass and asyncio.create_task(a.klass.watch_walls(url, stop_wall, WAIT_PAGE_S))  # the projector
    many = await run_phase(session, url, pid, a.sessions, a.seconds, pool, log_path)
    if wall:
        stop_wall.set()
        await wall
    if a.with_training:  # the same sessions again, while a Train page job trains beside the server
        from benchmarks._training_load import training_job

        with training_job(jobs_dir=os.environ["HWLAB_JOBS_DIR"]):  # the server's, as the Train page's jobs
            a.trained = await run_phase(session, url, pid, a.sessions, a.seconds, pool, log_path)
    return warm, cold, base, many, loads0, loads1, model_loads(log_path)


def _figures(a, warm: Phase, base: Phase, many: Phase) -> dict:
    """One run's figures for the JSON line: errors, p95, predictions a second, and with --class what was sent,
    stored and the wall's refresh."""
    lat, k = many.latencies, a.klass
    errors = sum(many.errors.values()) + sum(base.errors.values()) + sum(warm.errors.values())
    out = {"errors": errors, "p95_s": round(pct(lat, 0.95), 3), "median_s": round(pct(lat, 0.5), 3),
           "predictions_per_s": round(len(lat) / a.seconds, 1), "sent": None, "stored": None,
           "wall_refresh_p95_s": None, "load_average": [round(v, 1) for v in many.load]}
    if k:
        from benchmarks._class_load import stored_drawings

        stored = stored_drawings(k)
        out.update(errors=errors + k.wall_errors, sent=k.sent, stored=sum(stored.values()),
                   wall_refresh_p95_s=round(pct(k.wall_refresh_s, 0.95), 3), **_by_room(k, stored))
    return out


def _by_room(k, stored: dict) -> dict:
    """With --rooms: what was sent and stored in each room, and the cards a wall showed from another room."""
    if not k.rooms:
        return {}
    return {"rooms": len(k.rooms), "wrong_room": len(k.wrong_room), "cards_checked": k.cards_checked,
            "sent_by_room": dict(k.sent_by_room),
            "stored_by_room": stored}


async def measure_served(a, processes: int, pool) -> dict:
    """The same students against `python -m core serve --processes N` (nginx in front), on a fresh class
    database; its figures. The app processes are serve's, so the server-side lines (script runs, model loads)
    are not counted here, and the memory and CPU shown are serve's own."""
    from e2e_support import start_serve, stop_serve

    if a.class_mode:
        from benchmarks._class_load import ClassLoad

        os.environ["HWLAB_DB_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='class-load-')}/class.db"
        a.klass = ClassLoad(a.rooms)
    log_path = Path(tempfile.mkstemp(prefix=f"concurrent-serve-{processes}-", suffix=".log")[1])
    proc, url = start_serve(processes, {"HWLAB_MODELS_DIR": str(MODELS)})
    try:
        async def session(*args):
            await ws_session(*args, draw_s=a.draw_seconds, klass=a.klass)
        warm, _, base, many, *_ = await phases(a, session, url, proc.pid, pool, log_path)
    finally:
        stop_serve(proc)
    report(f"serve --processes {processes}", many, a.seconds, [])
    return {**_figures(a, warm, base, many), "processes": processes}


async def main_processes(a, pool) -> int:
    """--processes N: N processes behind serve, then one, the same students; the last line is one JSON object."""
    served = await measure_served(a, a.processes, pool)
    one = await measure_served(a, 1, pool)
    print(json.dumps({**served, "one_process": one, "sessions": a.sessions, "seconds": a.seconds}))
    return 0 if not served["errors"] and not one["errors"] else 1


async def main_async(a) -> int:
    log_path = Path(tempfile.gettempdir()) / f"concurrent-users-{os.getpid()}.log"
    t = time.time()
    pool = vetted_digits(a.model)
    for i, s in pool:
        s["png"] = png_data_url(render(s["strokes"], i))
    print(f"{len(pool)} pen digits read right by {a.model} when rendered ({time.time() - t:.0f} s to check); "
          f"clients: {a.clients}", flush=True)
    a.klass = None
    os.environ.pop("HWLAB_TEACHER_PASSWORD", None)
    os.environ["HWLAB_JOBS_DIR"] = tempfile.mkdtemp(prefix="concurrent-jobs-")  # the server's jobs folder
    if a.processes:
        return await main_processes(a, pool)
    if a.class_mode:  # a fresh class database for this run; no teacher password (students only send)
        from benchmarks._class_load import ClassLoad

        os.environ["HWLAB_DB_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='class-load-')}/class.db"
        a.klass = ClassLoad(a.rooms)
    proc, url = start_server(log_path)
    try:
        rss0 = rss_mb(proc.pid)
        if a.clients == "websocket":
            async def session(*args):
                await ws_session(*args, draw_s=a.draw_seconds, klass=a.klass)
            warm, cold, base, many, loads0, loads1, loads2 = await phases(a, session, url, proc.pid, pool, log_path)
        else:
            from playwright.async_api import async_playwright

            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                try:
                    async def session(*args):
                        await one_session(browser, *args)
                    warm, cold, base, many, loads0, loads1, loads2 = await phases(a, session, url, proc.pid, pool,
                                                                                   log_path)
                finally:
                    await browser.close()
        hwm = rss_mb(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"server {url} (log {log_path}); RSS right after start {rss0:.0f} MB, lifetime peak (VmHWM) {hwm:.0f} MB")
    print(f"warm-up: first page and first drawing in a fresh server {cold:.1f} s (mouse-up -> prediction "
          f"{max(warm.latencies, default=float('nan')):.2f} s, errors {sum(warm.errors.values())}); model loads "
          f"{len(loads0)} ({', '.join(loads0) or 'none'}); RSS after it {warm.rss[-1][1]:.0f} MB")
    report("baseline", base, a.baseline_seconds, loads1[len(loads0):])
    report("concurrent", many, a.seconds, loads2[len(loads1):])
    lat = many.latencies
    ok = not many.errors and lat and pct(lat, 0.95) <= 1.5
    if a.with_training:
        report("concurrent, with a training job running", a.trained, a.seconds, [])
        met = not a.trained.errors and a.trained.latencies and pct(a.trained.latencies, 0.95) <= 1.5
        print(f"targets (with training): zero errors, p95 <= 1.5 s: {'met' if met else 'NOT met'}")
        ok = ok and met
    total_loads = len(loads2)
    print(f"targets (concurrent): zero errors, p95 <= 1.5 s: {'met' if ok else 'NOT met'}; "
          f"the model was loaded {total_loads} time(s) for {1 + a.sessions} sessions")
    if a.klass:
        from benchmarks._class_load import stored_drawings

        k = a.klass
        by_room = stored_drawings(k)
        stored, wall_p95 = sum(by_room.values()), pct(k.wall_refresh_s, 0.95)
        errors = sum(many.errors.values()) + sum(base.errors.values()) + sum(warm.errors.values()) + k.wall_errors
        extra = _by_room(k, by_room)
        ok = ok and not errors and stored == k.sent and wall_p95 <= 1.0 and not extra.get("wrong_room")
        print(json.dumps({"errors": errors, "p95_s": round(pct(lat, 0.95), 3), "median_s": round(pct(lat, 0.5), 3),
                          "sent": k.sent, "stored": stored,
                          "wall_refresh_p95_s": round(wall_p95, 3),
                          "wall_refresh_median_s": round(pct(k.wall_refresh_s, 0.5), 3),
                          "wall_refresh_max_s": round(max(k.wall_refresh_s, default=float("nan")), 3),
                          "wall_refreshes": len(k.wall_refresh_s),
                          "wall_errors": k.wall_errors, "limited": k.limited, "sessions": a.sessions, "seconds": a.seconds,
                          "load_average": [round(v, 1) for v in many.load], **extra, "targets_met": bool(ok)}))
        return 0 if ok else 1
    return 0 if ok and not warm.errors and total_loads == len(set(loads2)) else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--baseline-seconds", type=float, default=None, help="default: --seconds")
    ap.add_argument("--clients", choices=["websocket", "browser"], default="websocket",
                    help="websocket: Streamlit's own protocol, no browser (the server is what is measured); "
                         "browser: headless Chromium drawing with the mouse (the browsers share the cores)")
    ap.add_argument("--draw-seconds", type=float, default=1.0,
                    help="websocket clients: the mean time to draw a digit (each drawing takes 0.5 to 1.5 times it)")
    ap.add_argument("--model", default=registry.default_for("mnist"),
                    help="the model the Draw page picks by default (used to choose digits it reads right)")
    ap.add_argument("--class", dest="class_mode", action="store_true",
                    help="every student also sends each drawing to the class, and one more session holds the Class "
                         "page open; the last line is JSON: errors, p95_s, sent, stored, wall_refresh_p95_s")
    ap.add_argument("--with-training", action="store_true",
                    help="then the same sessions again while a training job runs (as the Train page starts one)")
    ap.add_argument("--processes", type=int, default=None,
                    help="the same students against `python -m core serve --processes N` (nginx in front), then "
                         "against one process in the same run; the last line is JSON with one_process beside")
    ap.add_argument("--rooms", type=int, default=0,
                    help="with --class: the students spread over R rooms, one wall per room; the JSON adds "
                         "wrong_room (cards a wall showed from another room) and what each room sent and stored")
    a = ap.parse_args(argv)
    if a.rooms and not a.class_mode:
        ap.error("--rooms goes with --class")
    if not 0 <= a.rooms <= 20:
        ap.error("--rooms must be 0 to 20")
    if (a.class_mode or a.processes) and a.clients != "websocket":
        ap.error("--class and --processes run with the websocket clients")
    if a.processes is not None and not 1 <= a.processes <= 64:
        ap.error("--processes must be 1 to 64")
    if a.baseline_seconds is None:
        a.baseline_seconds = a.seconds
    if not 1 <= a.sessions <= 200 or not 1 <= a.seconds <= 600:
        ap.error("--sessions must be 1 to 200 and --seconds 1 to 600")
    return asyncio.run(main_async(a))


if __name__ == "__main__":
    sys.exit(main())
