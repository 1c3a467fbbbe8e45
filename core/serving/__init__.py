"""A school's server: several app processes behind one address, `python -m core serve` (supervisor.py) with
nginx in front of them (nginx.py, filling deploy/nginx.conf.template), and the training jobs' line that every
process shares (job_queue.py) with the worker that runs it (queue_worker.py, `python -m core worker`)."""
from __future__ import annotations

import argparse


def cmd_serve(a) -> int:
    from . import nginx, supervisor

    if a.config_only:  # for deploy/compose.yaml: the same template, filled for containers, and nothing started
        if not a.upstream:
            raise supervisor.ServeError("--config-only needs at least one --upstream HOST:PORT.")
        listen = f"{a.address}:{a.port}"
        print(nginx.write_config(listen, a.upstream, a.config_only, user=a.nginx_user), flush=True)
        return 0
    processes = supervisor.default_processes() if a.processes is None else a.processes
    return supervisor.Serve(processes, a.address, a.port, worker=not a.no_worker).run()


def add_serve_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="several app processes behind nginx on one address; Ctrl+C stops them all")
    p.add_argument("--processes", type=int, default=None, help="how many app processes (default: one a core)")
    p.add_argument("--port", type=int, default=8501, help="the port browsers open (default 8501)")
    p.add_argument("--address", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1; 0.0.0.0 for the room's network)")
    p.add_argument("--no-worker", action="store_true",
                   help="start no worker for queued training jobs (one runs elsewhere: `python -m core worker`)")
    p.add_argument("--config-only", metavar="FOLDER",
                   help="write nginx.conf for --upstream servers into FOLDER and exit (containers)")
    p.add_argument("--upstream", action="append", metavar="HOST:PORT", help="with --config-only: an app process")
    p.add_argument("--nginx-user", default="nginx", help="with --config-only: the user nginx's workers run as")
    p.set_defaults(fn=cmd_serve)
