"""The training wing: one training run and the background jobs that run it beside the app.

    run.py          train(): load the data, build, compile, fit, evaluate, save a bundle (the trainer)
    settings.py     every training setting declared once (the CLI flags, the Train page's form, the checks)
    augment.py      on-the-fly augmentation, a Keras layer wrapped around the model only while it trains
    progress.py     the Keras callback that reports batches and epochs as events, and the time left
    events.py       the events' callback type, their JSON-lines log, and the log read back for the page
    estimate.py     how long a training takes here (measured rates); calibration.py measures one
    jobs.py         background jobs: start, look at, cancel, wait (one at a time per machine)
    worker.py       the job's process: trains, writes its state, draws the new model's map
    job_files.py    what jobs.py and worker.py share: the machine's training lock and a job folder's files
    cpu_share.py    how a job shares the CPU with the app (priority, threads, a step aside)

Nothing here imports Streamlit, the class (core/classroom) or insight (core/insight): callers mix the
class's drawings in through the dataset they name, and draw the new model's map themselves. This file
imports nothing, so `python -m core.training.worker` can lower its priority before TensorFlow starts.
"""
