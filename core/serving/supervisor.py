"""`python -m core serve`: N `streamlit run app.py` processes on free loopback ports, nginx in front on one
address, each process watched through its /_stcore/health and restarted when it dies, all of them stopped
on Ctrl+C or SIGTERM; beside them, one `python -m core worker` runs the queued training jobs (--no-worker: none).

Every process shares what the app keeps outside itself (the class database, the models and jobs folders),
so a browser whose process died reconnects to another one and carries on; what a student sent is already in
the database."""
from __future__ import annotations

import ctypes
import os
import shutil
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ROOT
from ..errors import HWLabError
from . import nginx

HEALTH_PATH = "/_stcore/health"
POLL_S = 1.0  # how often serve looks at its processes
HEALTH_EVERY_S = 5.0  # how often it asks each one /_stcore/health
UNHEALTHY_RESTART_S = 90.0  # a process that answers nothing for this long, once it was up, is restarted
START_TIMEOUT_S = 240.0  # TensorFlow and a model load: a process may take this long to answer the first time
STOP_TIMEOUT_S = 15.0


class ServeError(HWLabError):
    """serve cannot start: a flag out of range, the address taken, a process that never came up."""


def default_processes() -> int:
    """As many app processes as this process may use cores."""
    return max(1, len(os.sched_getaffinity(0)))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def healthy(port: int, timeout: float = 3.0) -> bool:
    """Streamlit's own health check answers "ok" once the server is up."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH_PATH}", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def _die_with_parent() -> None:
    """In a child, before exec (Linux): SIGTERM when serve itself ends, even by SIGKILL, so nothing is orphaned."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _check_address_free(address: str, port: int) -> None:
    try:
        with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as s:
            s.bind((address, port))
    except OSError as exc:
        raise ServeError(f"serve cannot listen on {address}:{port} ({exc.strerror or exc}): "
                         f"stop what uses that port, or pick another with --port.") from None


@dataclass
class AppProcess:
    """One `streamlit run app.py` on a loopback port; the port stays the slot's across restarts, so nginx's
    configuration never changes."""
    slot: int
    port: int
    log: Path
    proc: subprocess.Popen | None = None
    started: float = 0.0
    up_since: float | None = None  # the first healthy answer since this start
    last_healthy: float = 0.0
    last_check: float = 0.0
    restarts: int = 0
    history: list[float] = field(default_factory=list)  # start times, for the back-off

    def command(self) -> list[str]:
        return [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                "--server.address", "127.0.0.1", "--server.port", str(self.port),
                "--server.headless", "true", "--browser.gatherUsageStats", "false"]

    def start(self, env: dict[str, str] | None = None) -> None:
        self.started = time.monotonic()
        self.history = [t for t in self.history if self.started - t < 120] + [self.started]
        self.up_since, self.last_check = None, 0.0
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=_die_with_parent)

    def backoff_s(self) -> float:
        """A process that keeps dying is started again less often: 0 s the first time, up to 30 s."""
        return min(30.0, 2.0 ** (len(self.history) - 1)) if len(self.history) > 1 else 0.0

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass


@dataclass
class WorkerProcess(AppProcess):
    """`python -m core worker`: runs the queued training jobs (core/serving/queue_worker.py); no port, restarted
    like an app process when it dies."""
    def command(self) -> list[str]:
        return [sys.executable, "-m", "core", "worker"]


class Serve:
    """The processes and nginx of one `serve`, and the loop that watches them."""

    def __init__(self, processes: int, address: str, port: int, say=None, worker: bool = True):
        if not 1 <= processes <= 64:
            raise ServeError(f"--processes must be between 1 and 64, not {processes}.")
        if not 1 <= port <= 65535:
            raise ServeError(f"--port must be between 1 and 65535, not {port}.")
        self.nginx_program = nginx.find_nginx()
        self.address, self.port = address, port
        self.say = say or (lambda line: print(line, file=sys.stderr, flush=True))
        self.stopping = threading.Event()
        self.folder = Path(tempfile.mkdtemp(prefix="hwlab-serve-"))
        self.apps = [AppProcess(i + 1, free_port(), self.folder / f"app-{i + 1}.log") for i in range(processes)]
        self.worker = WorkerProcess(0, 0, self.folder / "worker.log") if worker else None
        self.proxy: subprocess.Popen | None = None
        self.conf: Path | None = None
        # One cookie secret for every process, so a cookie Streamlit signed in one (a sign-in) is good in another.
        self.env = {**os.environ}
        self.env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))

    @property
    def listen(self) -> str:
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"

    def url(self) -> str:
        host = "localhost" if self.address in ("127.0.0.1", "::1") else self.address
        return f"http://{host}:{self.port}/"

    # ------------------------------------------------------------------ start and stop
    def start(self) -> None:
        _check_address_free(self.address, self.port)
        self.conf = nginx.write_config(self.listen, [f"127.0.0.1:{a.port}" for a in self.apps], self.folder)
        nginx.check(self.nginx_program, self.conf)
        for app in self.apps:
            app.start(self.env)
        if self.worker is not None:
            self.worker.start(self.env)
        self._start_proxy()
        self.say(f"serve: {len(self.apps)} app processes starting (logs in {self.folder}); "
                 f"nginx on {self.listen}" + ("; a worker for queued training jobs" if self.worker else ""))

    def _start_proxy(self) -> None:
        log = open(self.folder / "nginx.out", "ab")
        self.proxy = nginx.start(self.nginx_program, self.conf, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True, preexec_fn=_die_with_parent)
        log.close()
        time.sleep(0.3)
        if self.proxy.poll() is not None:
            errors = (self.folder / "error.log").read_text(errors="replace") if (self.folder / "error.log").exists() else ""
            raise nginx.NginxFailed(f"nginx stopped as it started: {nginx.last_line(errors)}")

    def stop(self) -> None:
        """Every app process and nginx, SIGTERM first, SIGKILL for what is left after STOP_TIMEOUT_S."""
        self.stopping.set()
        if self.proxy is not None:
            nginx.stop(self.proxy)
        everything = self.apps + ([self.worker] if self.worker else [])
        for app in everything:
            app.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for app in everything:
            if app.proc is None:
                continue
            try:
                app.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                app.proc.kill()
                app.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    # ------------------------------------------------------------------ the watch
    def wait_until_up(self) -> None:
        """Until every process answers its health check (or one never does: ServeError)."""
        waiting = set(range(len(self.apps)))
        deadline = time.monotonic() + START_TIMEOUT_S
        while waiting and not self.stopping.is_set():
            for i in sorted(waiting):
                app = self.apps[i]
                if not app.alive():
                    raise ServeError(f"app process {app.slot} ended as it started (code {app.proc.returncode}): "
                                     f"{self._log_tail(app)}")
                if healthy(app.port):
                    app.up_since = app.last_healthy = time.monotonic()
                    waiting.discard(i)
            if waiting and time.monotonic() > deadline:
                raise ServeError(f"{len(waiting)} app process(es) did not answer {HEALTH_PATH} within "
                                 f"{START_TIMEOUT_S:.0f} s; their logs are in {self.folder}.")
            self.stopping.wait(0.5)

    def watch_once(self) -> None:
        """One look at every process and at nginx: restart what died or stopped answering."""
        now = time.monotonic()
        for app in self.apps:
            if not app.alive():
                if now - app.started >= app.backoff_s():
                    code = app.proc.returncode if app.proc else None
                    self.say(f"serve: app process {app.slot} (port {app.port}) ended (code {code}): restarting it")
                    app.restarts += 1
                    app.start(self.env)
                continue
            if now - app.last_check >= HEALTH_EVERY_S:
                app.last_check = now
                if healthy(app.port):
                    app.last_healthy = now
                    app.up_since = app.up_since or now
                elif app.up_since is not None and now - app.last_healthy > UNHEALTHY_RESTART_S:
                    self.say(f"serve: app process {app.slot} has not answered for {UNHEALTHY_RESTART_S:.0f} s: "
                             f"restarting it")
                    app.signal(signal.SIGKILL)
        if self.worker is not None and not self.worker.alive() and now - self.worker.started >= self.worker.backoff_s():
            code = self.worker.proc.returncode if self.worker.proc else None
            self.say(f"serve: the training worker ended (code {code}): restarting it")
            self.worker.restarts += 1
            self.worker.start(self.env)
        if self.proxy is not None and self.proxy.poll() is not None and not self.stopping.is_set():
            self.say(f"serve: nginx ended (code {self.proxy.returncode}): restarting it")
            self._start_proxy()

    def run(self) -> int:
        """start, wait until up, watch until SIGTERM or Ctrl+C, stop. Exit code 0 after a requested stop."""
        previous = {sig: signal.signal(sig, lambda *_: self.stopping.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            self.wait_until_up()
            if not self.stopping.is_set():
                print(f"Handwriting Lab: {self.url()} ({len(self.apps)} app processes behind nginx)", flush=True)
            while not self.stopping.is_set():
                self.watch_once()
                self.stopping.wait(POLL_S)
            self.say("serve: stopping")
            return 0
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _log_tail(self, app: AppProcess) -> str:
        try:
            return nginx.last_line(app.log.read_text(errors="replace")[-4000:])
        except OSError:
            return "no log"
