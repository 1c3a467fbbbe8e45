"""The Draw page through Streamlit's websocket protocol, as benchmarks/concurrent_users.py drives it: a drawing
sent as the canvas component's state comes back as the right prediction, many sessions at once get their own
answers, and Clear gives a fresh canvas. Keeps the benchmark's client honest with the app."""
import asyncio
import concurrent.futures

from benchmarks._streamlit_ws import StreamlitSession, canvas_drawing, png_data_url
from e2e_support import ROOT
from helpers import pen_digits


def run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API keeps an event loop in this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def draw(url: str, label: str, rgba) -> tuple[str, bool]:
    s = StreamlitSession(url)
    await s.connect(60)
    try:
        page = await s.rerun(120)
        assert not page.problems()
        _, canvas, frag = page.first("bidi_component")
        _, clear, _ = page.first("button", label="Clear")
        drawn = await s.rerun(60, [(canvas.id, *canvas_drawing(png_data_url(rgba)))], frag)
        shown = drawn.answer()
        after_clear = await s.rerun(60, [(clear.id, "trigger_value", True)], frag)
        fresh = after_clear.first("bidi_component")[1].id != canvas.id
        waits = after_clear.first("metric", label="Prediction") is not None  # the verdict's dash, no answer
        cleared = fresh and waits and after_clear.answer() is None
        return (shown[1].body if shown else None), cleared
    finally:
        await s.close()


def test_sessions_at_once_each_get_their_own_prediction(app_url):
    digits = pen_digits(1, "0137")

    async def all_at_once():
        return await asyncio.gather(*(draw(app_url, label, rgba) for label, rgba in digits))

    results = run(all_at_once())
    assert [r[0] for r in results] == [label for label, _ in digits]
    assert all(cleared for _, cleared in results)


def test_a_page_opened_by_its_own_address_on_a_fresh_server_has_the_sidebar():
    # With a folder named pages/ beside app.py, Streamlit ran that page alone (its old pages-folder convention:
    # no app.py, so no picker) when a fresh server's first request named it; the pages live in app_pages/.
    from e2e_support import start_app

    proc, url = start_app({"HWLAB_MODELS_DIR": str(ROOT / "models")})
    try:
        async def open_evaluation():
            s = StreamlitSession(url)
            await s.connect(60)
            try:
                return await s.rerun(120, page_name="evaluation")
            finally:
                await s.close()

        page = run(open_evaluation())
    finally:
        proc.terminate()
        proc.wait(10)
    labels = [el.selectbox.label for _, kind, el, _ in page.elements if kind == "selectbox"]
    assert "Model" in labels and "Dataset" in labels
    assert page.first("heading") is not None and not page.problems()
