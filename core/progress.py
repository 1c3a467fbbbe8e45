"""The one shape of a progress callback in core: `progress(done, total)`, with `done` and `total` in the
same unit (bytes downloaded, images predicted, rows parsed, classes explained) and `total` None when it is
not known yet. Callers pass None for no reporting. The CLI's text bar (core/cli.py's Bar) and the pages'
st.progress bars are the adapters that show it."""
from __future__ import annotations

from typing import Callable, Optional

ProgressCallback = Optional[Callable[[int, Optional[int]], None]]


def shifted(progress: ProgressCallback, start: int, total: Optional[int]) -> ProgressCallback:
    """A callback for one part of a larger job: its (done, _) reported as (start + done, total)."""
    if progress is None:
        return None
    return lambda done, _total: progress(start + done, total)
