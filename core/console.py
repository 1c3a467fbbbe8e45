"""How a command of `python -m core` (and `python -m core.insight.feature_map`) talks to the terminal: results on
stdout, every user error one sentence on stderr with exit code 2, and TensorFlow's own start-up lines kept out
unless --verbose or HWLAB_VERBOSE=1."""
from __future__ import annotations

import contextlib
import os
import sys

from .errors import HWLabError


def say_error(sentence: str) -> None:
    """A user error, as every command says it: one sentence on stderr."""
    sys.stderr.write(f"error: {sentence}\n")
    sys.stderr.flush()


def verbose_wanted(flag: bool = False) -> bool:
    return flag or os.environ.get("HWLAB_VERBOSE", "").strip().lower() in ("1", "yes", "true", "on")


def quiet_start(verbose: bool = False, load_tensorflow: bool = True) -> None:
    """Before a command runs: TensorFlow's log level, then (for a command that uses it) TensorFlow itself,
    imported with the process's stderr sent to /dev/null. Its C++ start-up lines ("oneDNN custom operations
    are on", "All log messages before absl::InitializeLog() ...") are written straight to file descriptor 2
    while it loads, before any log setting is read; with verbose (--verbose, HWLAB_VERBOSE=1) they show."""
    if verbose_wanted(verbose):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if not load_tensorflow or "keras" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            with contextlib.suppress(ImportError):  # no backend: the command says so when it needs one
                import keras  # noqa: F401  (loads its backend: TensorFlow, or JAX)
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def run_reporting_errors(fn, *args) -> int:
    """fn(*args)'s exit code; a user error (HWLabError) said as one sentence on stderr, exit code 2."""
    try:
        return fn(*args)
    except HWLabError as exc:
        say_error(str(exc))
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
