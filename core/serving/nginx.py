"""nginx in front of the app processes: find it, fill deploy/nginx.conf.template, start and stop it.

The template is the one home of the proxy's configuration: `serve` fills it for loopback processes on this
machine, `python -m core serve --config-only` for deploy/compose.yaml's containers."""
from __future__ import annotations

import getpass
import os
import shutil
import signal
import subprocess
from pathlib import Path

from ..config import ROOT
from ..errors import HWLabError

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
NGINX_PATHS = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
TEMP_FOLDERS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class NginxMissing(HWLabError):
    """serve needs nginx, and this machine has none."""


class NginxFailed(HWLabError):
    """nginx refused the configuration or could not listen."""


def find_nginx() -> str:
    """The nginx program: on the PATH, or where Debian and nginx's own builds put it."""
    found = shutil.which("nginx") or next((p for p in NGINX_PATHS if os.access(p, os.X_OK)), None)
    if not found:
        raise NginxMissing("serve puts nginx in front of the app processes, and nginx is not installed: "
                           "install it with `sudo apt-get install nginx` (Debian, Ubuntu) and start serve again.")
    return found


def render(listen: str, servers: list[str], folder: str | Path, user: str | None = None) -> str:
    """The template filled in: nginx listens on `listen` ("127.0.0.1:8501"), proxies to `servers`
    ("127.0.0.1:41234", "app:8501"), and keeps its pid, logs and temporary files in `folder`. Its workers run
    as `user` (default: whoever runs serve; nginx started by root would otherwise drop them to `nobody`)."""
    lines = "\n".join(f"        server {s} max_fails=1 fail_timeout=3s;" for s in servers)
    if user is None and os.geteuid() == 0:
        user = getpass.getuser()
    user_line = f"user {user};\n" if user else ""  # only root's nginx may name one (else a warning)
    text = TEMPLATE.read_text()
    for field, value in (("@USER@", user_line), ("@FOLDER@", str(folder)), ("@LISTEN@", listen),
                         ("@SERVERS@", lines)):
        text = text.replace(field, value)
    return text


def write_config(listen: str, servers: list[str], folder: str | Path, user: str | None = None) -> Path:
    """nginx.conf in `folder`, and the temporary folders it names."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in TEMP_FOLDERS:
        (folder / name).mkdir(exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(render(listen, servers, folder, user))
    return conf


def _command(nginx: str, conf: Path) -> list[str]:
    # -e: the error log before the configuration is read (else nginx opens /var/log/nginx/error.log first);
    # -p: the prefix, so nothing relative lands under /usr/share/nginx.
    folder = str(conf.parent)
    return [nginx, "-p", folder, "-e", str(conf.parent / "error.log"), "-c", str(conf)]


def check(nginx: str, conf: Path) -> None:
    """nginx -t on the configuration: a sentence with nginx's own words when it refuses it."""
    done = subprocess.run(_command(nginx, conf) + ["-t", "-q"], capture_output=True, text=True)
    if done.returncode:
        raise NginxFailed(f"nginx refused its configuration ({conf}): {last_line(done.stderr)}")


def start(nginx: str, conf: Path, **popen) -> subprocess.Popen:
    """nginx in the foreground (`daemon off` in the template), as the current user."""
    return subprocess.Popen(_command(nginx, conf), stdin=subprocess.DEVNULL, **popen)


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """A quick stop (SIGTERM: nginx closes its connections at once), then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def last_line(text: str) -> str:
    lines = [x.strip() for x in text.strip().splitlines() if x.strip()]
    return lines[-1] if lines else "no message"
