"""`python -m core lineup | neighbours | read`: the insight commands, registered into core/cli.py's parser.
One JSON object a line on stdout; a picture that cannot be read gets a sentence on stderr and, at the end,
exit code 2 (core/cli.py's one rule)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Union

import numpy as np

from ..console import say_error
from ..errors import BadImage
from ..model.preprocess import read_image


def _print(obj) -> None:
    print(json.dumps(obj), flush=True)


def _pictures(files: list[str]) -> Iterator[tuple[str, Union[np.ndarray, str]]]:
    """(file, RGBA picture) or (file, the sentence saying why it cannot be read), in the order given."""
    for f in files:
        try:
            yield f, read_image(Path(f).read_bytes(), f)
        except OSError as exc:
            yield f, f"cannot read {f}: {exc.strerror or exc}"
        except BadImage as exc:
            yield f, str(exc)


def _top(top) -> list:
    return [[c, round(p, 6)] for c, p in top]


def cmd_lineup(a) -> int:
    from .lineup import LineUp

    line = LineUp(a.dataset)
    failed = 0
    for f, pic in _pictures(a.images):
        answers = [] if isinstance(pic, str) else line.read(pic)
        if not answers:
            failed += 1
            say_error(pic if isinstance(pic, str) else f"{f}: no ink found (a blank picture)")
        for r in answers:
            _print({"file": f, "model": r.model, "label": r.label, "confidence": round(r.confidence, 6),
                    "top": _top(r.top), "kind": r.kind, "parameters": r.parameters,
                    "test_accuracy": r.test_accuracy})
    return 2 if failed else 0


def cmd_neighbours(a) -> int:
    from ..model.preprocess import prepare
    from ..registry import Predictor
    from .neighbours import Neighbours

    pred = Predictor(a.model)
    near = Neighbours(pred)
    failed = 0
    for f, pic in _pictures(a.images):
        x = None if isinstance(pic, str) else prepare(pic, pred.style).x
        if x is None:
            failed += 1
            say_error(pic if isinstance(pic, str) else f"{f}: no ink found (a blank picture)")
            continue
        found = near.query(x, a.k)[0]
        _print({"file": f, "label": pred.top(pred(x)[0], 1)[0][0],
                "neighbours": [{"index": n.index, "label": n.label, "distance": round(n.distance, 4)} for n in found]})
    return 2 if failed else 0


def cmd_read(a) -> int:
    from ..registry import Predictor
    from .reading import read

    pred = Predictor(a.model)
    failed = 0
    for f, pic in _pictures(a.images):
        if isinstance(pic, str):
            failed += 1
            say_error(pic)
            continue
        r = read(pred, pic)
        _print({"file": f, "text": r.text, "characters": [
            {"box": list(c.box), "label": c.label, "confidence": round(c.confidence, 6), "top": _top(c.top),
             **({"lookalikes": c.lookalikes} if c.lookalikes else {})} for c in r.characters]})
    return 2 if failed else 0


def register(sub) -> None:
    """Add the insight commands to core/cli.py's subparsers."""
    def k_value(s: str) -> int:
        import argparse

        if not s.isdigit() or not 1 <= int(s) <= 100:
            raise argparse.ArgumentTypeError(f"--k must be a whole number from 1 to 100, not {s!r}")
        return int(s)

    p = sub.add_parser("lineup", help="every model of a dataset on each picture: one JSON line per (picture, model)")
    p.add_argument("--dataset", required=True)
    p.add_argument("images", nargs="+")
    p.set_defaults(fn=cmd_lineup)
    p = sub.add_parser("neighbours", help="the k training images nearest to each picture in the model's feature space")
    p.add_argument("--model", required=True)
    p.add_argument("--k", type=k_value, default=5)
    p.add_argument("images", nargs="+")
    p.set_defaults(fn=cmd_neighbours)
    p = sub.add_parser("read", help="read several characters side by side in each picture: text and boxes")
    p.add_argument("--model", required=True)
    p.add_argument("images", nargs="+")
    p.set_defaults(fn=cmd_read)
