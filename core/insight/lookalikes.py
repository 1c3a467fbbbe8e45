"""Look-alike classes, said honestly. With a model that knows digits and letters, 0/O/o, 1/I/l, 5/S/s,
2/Z/z and 9/g/q are often one shape; so are the letters whose cases EMNIST's ByMerge layout merges because
they differ only in size (C/c, K/k, M/m, P/p, U/u, V/v, W/w, X/x, Y/y, ...). When a model's top answers
are look-alikes, the page says so instead of a confident wrong answer."""
from __future__ import annotations

from typing import Optional

GROUPS = ("0Oo", "1Il", "5Ss", "2Zz", "9gq") + tuple(c + c.lower() for c in "CJKMPUVWXY")
MIN_RUNNER_UP = 0.1  # a runner-up below this is not a doubt worth a sentence


def group_of(label: str) -> Optional[str]:
    return next((g for g in GROUPS if str(label) in g), None)


def look_alikes(top: list[tuple[str, float]], min_runner_up: float = MIN_RUNNER_UP) -> list[str]:
    """The labels among the top answers that share the winner's look-alike group (the winner first) when at
    least one runner-up of that group has min_runner_up or more; [] otherwise."""
    if not top:
        return []
    group = group_of(top[0][0])
    if group is None:
        return []
    same = [(c, p) for c, p in top[1:] if str(c) in group and p >= min_runner_up]
    return [str(top[0][0])] + [str(c) for c, _ in same] if same else []


def note(top: list[tuple[str, float]], min_runner_up: float = MIN_RUNNER_UP) -> Optional[str]:
    """'0 or O: to this model they look the same.' when the top answers are look-alikes, else None."""
    labels = look_alikes(top, min_runner_up)
    if not labels:
        return None
    share = sum(p for c, p in top if str(c) in labels)
    return (f"{' or '.join(labels)}: to this model they look the same "
            f"({share:.0%} together; the drawing alone cannot tell them apart).")
