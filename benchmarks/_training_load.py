"""A training job running beside a benchmark: started through core.training.jobs exactly as the Train page starts one
(its own process, lower CPU priority, capped threads: core.training.worker), into throwaway models and jobs folders,
and cancelled at the end. Used by `concurrent_users.py --with-training`."""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from typing import Iterator

from core.training import jobs
from core.training.settings import PRESETS

# Long enough to outlast a phase (the Quick preset's network, many epochs); cancelled when the phase ends.
SETTINGS = {"dataset": "mnist", **PRESETS["quick"], "epochs": 50, "drawn_eval": False}
WAIT_TRAINING_S = 300.0


@contextlib.contextmanager
def training_job(settings: dict = SETTINGS, jobs_dir: str | None = None) -> Iterator[jobs.Job]:
    """Start the job, wait until its batches run, yield it; cancel it (and wait for it to end) afterwards.
    jobs_dir: the app server's jobs folder, which the job shares as on the Train page (there the app tells its
    jobs that the class is drawing: core/training/cpu_share.py); default a throwaway one."""
    saved = {k: os.environ.get(k) for k in ("HWLAB_MODELS_DIR", "HWLAB_JOBS_DIR")}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HWLAB_MODELS_DIR"], os.environ["HWLAB_JOBS_DIR"] = f"{tmp}/models", jobs_dir or f"{tmp}/jobs"
        os.makedirs(f"{tmp}/models")
        job = jobs.start(settings)
        try:
            end = time.time() + WAIT_TRAINING_S
            while time.time() < end and not jobs.get(job.id).finished and not jobs.get(job.id).progress().batch:
                time.sleep(0.5)
            job = jobs.get(job.id)
            if job.state != "running" or not job.progress().batch:
                raise RuntimeError(f"the training job did not start training: {job.state} {job.message}\n"
                                   f"{job.log_tail(2000)}")
            print(f"training job {job.id} running (pid {job.pid}): {jobs.command_line(job.settings)}", flush=True)
            yield job
        finally:
            jobs.cancel(job.id)
            ended = jobs.wait(job.id, timeout=60)
            print(f"training job {job.id}: {ended.state}, reached epoch {ended.progress().epoch}, batch "
                  f"{ended.progress().batch}", flush=True)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
