"""The Draw page through Streamlit's websocket protocol, as benchmarks/concurrent_users.py drives it: a drawing
sent as the canvas component's state comes back as the right prediction, many sessions at once get their own
answers, and Clear gives a fresh canvas. Keeps the benchmark's client honest with the app."""
import asyncio
import base64
import io
import json

from PIL import Image

from benchmarks._streamlit_ws import StreamlitSession
from helpers import pen_digits


def data_url(rgba) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


async def draw(url: str, label: str, rgba) -> tuple[str, bool]:
    s = StreamlitSession(url)
    await s.connect(60)
    try:
        page = await s.rerun(120)
        assert not page.problems()
        _, canvas, frag = page.first("bidi_component")
        _, clear, _ = page.first("button", label="Clear")
        state = json.dumps({"drawing": {"raw": {"objects": []}, "data": data_url(rgba)}})
        run = await s.rerun(60, [(canvas.id, "json_value", state)], frag)
        shown = run.first("metric", label="Prediction")
        after_clear = await s.rerun(60, [(clear.id, "trigger_value", True)], frag)
        fresh = after_clear.first("bidi_component")[1].id != canvas.id
        cleared = fresh and after_clear.first("metric", label="Prediction") is None
        return (shown[1].body if shown else None), cleared
    finally:
        await s.close()


def test_sessions_at_once_each_get_their_own_prediction(app_url):
    digits = pen_digits(1, "0137")

    async def all_at_once():
        return await asyncio.gather(*(draw(app_url, label, rgba) for label, rgba in digits))

    results = asyncio.run(all_at_once())
    assert [r[0] for r in results] == [label for label, _ in digits]
    assert all(cleared for _, cleared in results)
