"""A Streamlit session without a browser: the websocket protocol the frontend speaks (BackMsg / ForwardMsg
protobufs on /_stcore/stream), enough to load a page, set a widget's value or press a button the way the
browser does after a stroke or a click, and read what the server sends back.

It does not run the page's JavaScript, so it costs the machine next to nothing: with 20 of them the
server, not the clients, is what a benchmark measures on a 2-core machine."""
from __future__ import annotations

import asyncio
import base64
import io
import json
import time
from dataclasses import dataclass, field
from typing import Optional

import websockets
from PIL import Image
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from ui.views import PLACEHOLDER


@dataclass
class Run:
    """What one script run (or fragment run) sent: its elements by type, in order, and when each came."""
    elements: list = field(default_factory=list)  # (seconds after the request, element type, Element proto, fragment)
    finished_s: Optional[float] = None

    def first(self, kind: str, **where):
        for t, k, el, frag in self.elements:
            body = getattr(el, k)
            if k == kind and all(getattr(body, a) == v for a, v in where.items()):
                return t, body, frag
        return None

    def answer(self):
        """(seconds, the metric, fragment) of the Draw page's answer, or None: no verdict, or the verdict's dash
        that waits for a drawing (ui/views.PLACEHOLDER)."""
        shown = self.first("metric", label="Prediction")
        return None if shown is None or shown[1].body == PLACEHOLDER else shown

    def problems(self) -> list[str]:
        """Exceptions and error boxes the run put on the page."""
        out = [el.exception.message for _, k, el, _ in self.elements if k == "exception"]
        out += [el.alert.body for _, k, el, _ in self.elements if k == "alert" and el.alert.format == el.alert.ERROR]
        return out


class StreamlitSession:
    def __init__(self, url: str):
        self.host = url.split("//", 1)[1].rstrip("/")
        self.ws = None
        self.page_hash = ""

    async def connect(self, timeout: float) -> None:
        self.ws = await asyncio.wait_for(websockets.connect(
            f"ws://{self.host}/_stcore/stream", subprotocols=["streamlit"], origin=f"http://{self.host}",
            max_size=None, open_timeout=timeout), timeout)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def rerun(self, timeout: float, widgets: tuple = (), fragment: str = "", page_name: str = "") -> Run:
        """Ask for a run, as the browser does on a page load (no widgets), after a widget changed, or for a
        fragment, and collect its elements until the server says the run finished. A rerun the server starts
        by itself (st.rerun) is followed: the run returned is the last one, that ends with script_finished."""
        msg = BackMsg()
        rs = msg.rerun_script
        rs.page_script_hash = self.page_hash
        rs.fragment_id = fragment
        rs.page_name = page_name  # a page's own address (/evaluation), as on a first visit by a link
        for wid, kind, value in widgets:
            w = rs.widget_states.widgets.add()
            w.id = wid
            setattr(w, kind, value)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = Run()
        deadline = t0 + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no end of the run within {timeout:.0f} s")
            fwd = ForwardMsg()
            fwd.ParseFromString(await asyncio.wait_for(self.ws.recv(), left))
            kind = fwd.WhichOneof("type")
            if kind == "navigation" and fwd.navigation.page_script_hash:
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                run.elements.append((time.perf_counter() - t0, el.WhichOneof("type"), el, fwd.delta.fragment_id))
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    run = Run()  # the app asked for another run: what counts is that one
                    continue
                run.finished_s = time.perf_counter() - t0
                return run


def png_data_url(rgba) -> str:
    """An RGBA canvas as the PNG data URL streamlit-drawable-canvas hands over."""
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def canvas_drawing(data_url: str) -> tuple[str, str]:
    """The canvas component's state after a stroke (its PNG), as the widget value the browser sends."""
    return "json_value", json.dumps({"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": data_url}})
