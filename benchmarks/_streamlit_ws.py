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
import http.cookiejar
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Optional

import websockets
from PIL import Image
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from ui.prediction import PLACEHOLDER


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
    def __init__(self, url: str, query: str = ""):
        self.host = url.split("//", 1)[1].rstrip("/")
        self.query = query  # the link's query, as the browser sends it with every run (e.g. "room=K7QX2M")
        self.ws = None
        self.page_hash = ""
        self.session_id = ""  # the server's name for this session (its first run's new_session says it)

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
        rs.query_string = self.query
        rs.fragment_id = fragment
        rs.page_name = page_name  # a page's own address (/evaluation), as on a first visit by a link
        for wid, kind, value in widgets:
            w = rs.widget_states.widgets.add()
            w.id = wid
            if hasattr(value, "SerializeToString"):  # a message-valued state (a file uploader's)
                getattr(w, kind).CopyFrom(value)
            else:
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
            if kind == "new_session":
                self.session_id = fwd.new_session.initialize.session_id
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


    def upload(self, widget_id: str, name: str, data: bytes, timeout: float = 120) -> tuple[int, tuple]:
        """Uploads `data` for a file uploader as the browser does (an HTTP PUT to the session's upload route, with
        the XSRF cookie and token); returns (HTTP status, the widget state to send with the next rerun). Status 0:
        the server closed the connection before the body was sent (an upload over server.maxUploadSize)."""
        from streamlit.proto.Common_pb2 import FileUploaderState

        base = f"http://{self.host}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar := http.cookiejar.CookieJar()))
        opener.open(base + "/_stcore/health", timeout=timeout).read()  # it sets the XSRF cookie
        xsrf = next((c.value for c in jar if c.name == "_streamlit_xsrf"), "")
        file_id = uuid.uuid4().hex
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        req = urllib.request.Request(f"{base}/_stcore/upload_file/{self.session_id}/{file_id}", data=body,
                                     method="PUT", headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                                            "X-Xsrftoken": xsrf})
        try:
            status = opener.open(req, timeout=timeout).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except urllib.error.URLError as exc:  # refused from its Content-Length while the body was still going
            if not isinstance(exc.reason, (ConnectionResetError, BrokenPipeError)):
                raise
            status = 0
        state = FileUploaderState()
        info = state.uploaded_file_info.add()
        info.file_id, info.name, info.size = file_id, name, len(data)
        return status, (widget_id, "file_uploader_state_value", state)


def png_data_url(rgba) -> str:
    """An RGBA canvas as the PNG data URL streamlit-drawable-canvas hands over."""
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def canvas_drawing(data_url: str) -> tuple[str, str]:
    """The canvas component's state after a stroke (its PNG), as the widget value the browser sends."""
    return "json_value", json.dumps({"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": data_url}})
