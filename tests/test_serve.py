"""`python -m core serve`: nginx's configuration from deploy/'s template, deploy/compose.yaml against the Compose
specification's schema, the sentence when nginx is missing, and serve end to end (health through nginx, sticky
routes reaching both processes, a killed process restarted, SIGTERM leaving nothing behind)."""
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from core.serving import nginx
from e2e_support import ROOT, app_process_on, served_by, start_serve, stop_serve

COMPOSE = ROOT / "deploy" / "compose.yaml"
has_nginx = pytest.mark.skipif(not os.access("/usr/sbin/nginx", os.X_OK), reason="nginx is not installed")


def _check_compose(path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                           str(path)], capture_output=True, text=True)


def test_compose_file_validates_against_the_compose_specification(tmp_path):
    done = _check_compose(COMPOSE)
    assert done.returncode == 0, done.stdout + done.stderr
    # The schema is really applied: the same file with a service's port given as a mapping fails.
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace('- "8501:8501"', "- {published: [8501]}"))
    assert _check_compose(broken).returncode != 0


def test_compose_file_runs_the_app_nginx_postgres_and_a_worker():
    from ruamel.yaml import YAML

    spec = YAML(typ="safe").load(COMPOSE.read_text())
    services = spec["services"]
    assert {"app", "nginx", "postgres", "worker"} <= set(services)
    assert services["worker"]["command"][-2:] == ["core", "worker"]
    assert "postgresql" in services["app"]["environment"]["HWLAB_DB_URL"]
    # nginx's configuration is the template's, filled by serve --config-only (one home for it)
    assert "--config-only" in services["nginx-config"]["command"]


@has_nginx
def test_the_filled_template_is_one_nginx_accepts(tmp_path):
    conf = nginx.write_config("127.0.0.1:18999", ["127.0.0.1:18001", "127.0.0.1:18002"], tmp_path)
    text = conf.read_text()
    settings = [line.split("#")[0] for line in text.splitlines()]
    assert not [line for line in settings if re.search(r"@[A-Z]+@", line)]  # every field filled
    assert "hash $hwlab_route consistent" in text and "proxy_set_header Upgrade $http_upgrade" in text
    assert str(tmp_path / "nginx.pid") in text
    nginx.check(nginx.find_nginx(), conf)  # nginx -t: raises with nginx's own words if it refuses it


def test_serve_without_nginx_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    from core.cli import main

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(nginx, "NGINX_PATHS", ())
    assert main(["serve", "--processes", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "apt-get install nginx" in err


def _get(url, cookie=None):
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read(), r.headers


@has_nginx
def queue_worker_of(proc):
    import psutil

    for p in psutil.Process(proc.pid).children():
        try:
            if p.cmdline()[-2:] == ["core", "worker"]:
                return p
        except psutil.Error:
            pass
    return None


def test_serve_end_to_end():
    proc, url = start_serve(2)
    try:
        status, body, headers = _get(url + "_stcore/health")
        assert (status, body) == (200, b"ok")
        assert any("hwlab_route=" in c for c in headers.get_all("Set-Cookie"))
        # Different browsers (route cookies) reach both processes; one browser always reaches the same one.
        routes = {f"hwlab_route=browser{i}": served_by(_get(url + "_stcore/health", f"hwlab_route=browser{i}")[2])
                  for i in range(40)}
        ports = set(routes.values())
        assert len(ports) == 2
        assert len({served_by(_get(url + "_stcore/health", "hwlab_route=browser1")[2]) for _ in range(5)}) == 1
        tree = [proc.pid] + [p.pid for p in __import__("psutil").Process(proc.pid).children(recursive=True)]
        worker = queue_worker_of(proc)  # the worker for queued training jobs runs beside the app processes
        assert worker is not None
        worker.send_signal(signal.SIGKILL)  # and comes back when it dies
        deadline = time.time() + 60
        while time.time() < deadline and (queue_worker_of(proc) is None or queue_worker_of(proc).pid == worker.pid):
            time.sleep(0.5)
        assert queue_worker_of(proc) is not None and queue_worker_of(proc).pid != worker.pid
        tree.append(queue_worker_of(proc).pid)

        victim_port = sorted(ports)[0]
        victim = app_process_on(proc, victim_port)
        victim.send_signal(signal.SIGKILL)
        # Meanwhile nginx sends that process's browsers elsewhere: they get an answer, not an error.
        victims_browser = next(cookie for cookie, port in routes.items() if port == victim_port)
        assert _get(url + "_stcore/health", victims_browser)[0] == 200
        deadline = time.time() + 240
        while time.time() < deadline:
            again = app_process_on(proc, victim_port)
            if again is not None and again.pid != victim.pid:
                break
            time.sleep(1)
        else:
            pytest.fail("serve did not restart the killed process")
        tree += [again.pid]
        deadline = time.time() + 120
        while time.time() < deadline and victim_port not in {
                served_by(_get(url + "_stcore/health", f"hwlab_route=browser{i}")[2]) for i in range(40)}:
            time.sleep(1)
        assert victim_port in {served_by(_get(url + "_stcore/health", f"hwlab_route=browser{i}")[2]) for i in range(40)}
    finally:
        code = stop_serve(proc)
    assert code == 0
    import psutil

    time.sleep(0.5)
    left = [p for p in tree if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert left == [], f"processes left behind: {left}"
