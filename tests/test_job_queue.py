"""The training jobs' queue (core.serving: job_queue, queue_worker), on SQLite and on PostgreSQL: two processes
claiming at once never take the same job; places in line; a cancel in line; a worker killed while its job trains
(the job fails with a sentence, the models folder is as it was, and the next job in line runs); and the CLI's
`train --queue`, `jobs` and `worker --once`."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from core.classroom.store import close_stores
from core.errors import HWLabError
from core.serving import job_queue
from core.training import jobs
from tests.conftest import ROOT, needs_shared
from tests.test_class_store import url  # noqa: F401 - url: the two databases' fixture
from tests.test_jobs import LONG, snapshot

pytestmark = needs_shared

TINY = {"dataset": "mnist", "arch": "mlp", "epochs": 1, "limit": 256, "validation_fraction": 0.0,
        "drawn_eval": False}


@pytest.fixture
def line(url, tmp_path, monkeypatch):  # noqa: F811 - the fixture above, taken by name
    models, jobs_dir = tmp_path / "models", tmp_path / "jobs"
    (models / "existing").mkdir(parents=True)
    (models / "existing" / "card.json").write_text("{}\n")
    env = {"HWLAB_DB_URL": url, "HWLAB_MODELS_DIR": str(models), "HWLAB_JOBS_DIR": str(jobs_dir),
           "CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    close_stores()  # the database was made afresh for this test
    yield models, {**os.environ, **env}
    close_stores()
    for job in jobs.list_jobs():  # never leave a training process behind
        if not job.finished and job.pid:
            jobs._signal_group(job.pid, signal.SIGKILL)


CLAIMER = """
import json, sys, time
from core.serving import job_queue
start = float(sys.argv[1])
job_queue.claim  # imported: the race starts at the same moment in both processes
while time.time() < start:
    time.sleep(0.001)
taken = []
while True:
    got = job_queue.claim(sys.argv[2])
    if got is None:
        break
    taken.append(got["id"])
print(json.dumps(taken))
"""


def test_two_processes_claiming_at_once_never_take_the_same_job(line):
    _, env = line
    ids = [job_queue.submit({**TINY, "seed": i}, title=f"job {i}") for i in range(8)]
    start = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(start), f"w{n}"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True) for n in range(2)]
    taken = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    everything = taken[0] + taken[1]
    assert sorted(everything) == sorted(ids), taken  # every job taken...
    assert len(set(everything)) == len(everything), taken  # ...once
    rows = {q.id: q for q in job_queue.listing()}
    assert all(rows[i].state == "running" and rows[i].worker in ("w0", "w1") for i in ids)
    assert {rows[i].worker for i in taken[0]} <= {"w0"} and {rows[i].worker for i in taken[1]} <= {"w1"}


def test_places_in_line_and_a_cancel_while_waiting(line):
    models, _ = line
    before = snapshot(models)
    a, b, c = (job_queue.submit({**TINY, "seed": i}, title=f"job {i}", estimate_s=120.0) for i in range(3))
    assert [(q.id, q.position) for q in job_queue.listing()] == [(a, 1), (b, 2), (c, 3)]
    assert job_queue.claim("w")["id"] == a  # the oldest first
    place = {q.id: q for q in job_queue.listing()}
    assert place[a].state == "running" and place[a].position == 1
    assert job_queue.place_sentence(place[b], 180.0) == "2nd in line, about 3 min"
    assert job_queue.place_sentence(place[c], None) == "3rd in line"
    assert [q.id for q in job_queue.waiting()] == [b, c]

    said = job_queue.cancel(b)
    assert "left the line" in said
    place = {q.id: q for q in job_queue.listing()}
    assert place[b].state == "cancelled" and place[b].position is None and "nothing was trained" in place[b].message
    assert place[c].position == 2  # moved up
    assert jobs.get(b).state == "cancelled"  # its folder says so too: the Train page's past jobs list it
    with pytest.raises(HWLabError, match="nothing to cancel"):
        job_queue.cancel(b)
    assert "asked to stop" in job_queue.cancel(a)  # a running one: its worker passes the cancel on
    assert job_queue.heartbeat(a, "w") is True
    assert snapshot(models) == before


def _wait(predicate, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        got = predicate()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_mid_training_fails_its_job_and_the_next_job_runs(line, monkeypatch):
    models, env = line
    before = snapshot(models)
    first = job_queue.submit({**LONG, "name": "never-saved"}, title="long")
    second = job_queue.submit({**TINY, "name": "tiny-queued"}, title="tiny")
    log = open(models.parent / "worker.log", "wb")
    worker = subprocess.Popen([sys.executable, "-m", "core", "worker"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait(lambda: jobs.get(first).progress().batch > 0, 180, "the first job to train")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        job = _wait(lambda: jobs.get(first).finished and jobs.get(first), 60, "the orphaned job to stop")
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
    assert job.state == "failed" and "stopped while it trained" in job.message, job.message
    assert snapshot(models) == before  # nothing saved, nothing damaged
    assert jobs.holder() is None  # the machine's training lock is free again

    monkeypatch.setattr(job_queue, "STALE_S", 0.0)  # the heartbeat's wait, without waiting for it
    job_queue.reconcile()
    row = {q.id: q for q in job_queue.listing()}
    assert row[first].state == "failed" and "stopped while it trained" in row[first].message
    assert row[second].state == "queued" and row[second].position == 1

    done = subprocess.run([sys.executable, "-m", "core", "worker", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    row = {q.id: q for q in job_queue.listing()}
    assert row[second].state == "done" and row[second].bundle == "tiny-queued", row[second]
    assert (models / "tiny-queued" / "card.json").exists()


def test_the_command_line_queues_lists_and_runs_jobs(line):
    models, env = line

    def core(*args, timeout=300):
        return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=timeout)

    queued = core("train", "--dataset", "mnist", "--arch", "mlp", "--epochs", "1", "--limit", "256",
                  "--validation-fraction", "0", "--no-drawn-eval", "--name", "cli-queued", "--queue")
    assert queued.returncode == 0, queued.stderr[-2000:]
    job_id = queued.stdout.strip().splitlines()[-1]  # the id, last
    assert "1st in line" in queued.stderr and "python -m core worker" in queued.stderr
    listed = [json.loads(x) for x in core("jobs").stdout.splitlines()]
    assert listed[0]["id"] == job_id and listed[0]["state"] == "queued" and listed[0]["position"] == 1

    bad = core("train", "--dataset", "mnist", "--epochs", "0", "--queue")
    assert bad.returncode != 0 and "Epochs must be" in bad.stderr and "Traceback" not in bad.stderr
    assert len(core("jobs").stdout.splitlines()) == 1  # refused settings never joined the line

    ran = core("worker", "--once")
    assert ran.returncode == 0, ran.stderr[-2000:]
    listed = {x["id"]: x for x in map(json.loads, core("jobs").stdout.splitlines())}
    assert listed[job_id]["state"] == "done" and listed[job_id]["bundle"] == "cli-queued"
    assert listed[job_id]["position"] is None
