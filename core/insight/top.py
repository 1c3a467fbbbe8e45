"""What every reading of the insight features shares: its top answers, most likely first."""
from __future__ import annotations


class TopAnswers:
    """A mixin for dataclasses with a `top` field: [(label, probability), ...], most likely first."""
    top: list[tuple[str, float]]

    @property
    def label(self) -> str:
        return self.top[0][0]

    @property
    def confidence(self) -> float:
        return self.top[0][1]
