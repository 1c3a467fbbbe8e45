"""The ONNX zip's page (index.html) in a real Chromium, served from a temporary folder over loopback HTTP: it
reads a pen-drawn digit with onnxruntime-web and no server-side model. With the runtime's files beside the
page it loads them from there (every other address is refused); without them, from the public address its
README names (answered here from the same npm package: no network at test time)."""
import functools
import io
import shutil
import subprocess
import tarfile
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import ROOT, SHARED_DATA, needs_shared
from core import export
from core.datasets.strokes import read_samples
from e2e_support import canvas_points, draw_stroke

pytestmark = [pytest.mark.e2e, needs_shared]
SHIPPED = "mnist-hwnet-lite-pen"
LABEL = "3"


@pytest.fixture(scope="module")
def ort_web(tmp_path_factory) -> Path:
    """A folder with onnxruntime-web's three files the page needs, from its npm package (the pinned version)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the page's runtime (onnxruntime-web) comes from its npm package")
    where = tmp_path_factory.mktemp("ort-web")
    run = subprocess.run(["npm", "pack", f"onnxruntime-web@{export.ORT_WEB_VERSION}", "--prefer-offline",
                          "--pack-destination", str(where)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"npm pack onnxruntime-web failed: {run.stderr[-1500:]}"
    with tarfile.open(where / run.stdout.strip().splitlines()[-1]) as tar:
        for name in export.ORT_WEB_FILES:
            (where / name).write_bytes(tar.extractfile(f"package/dist/{name}").read())
    return where


@pytest.fixture(scope="module")
def page_zip(monkeypatch_module) -> bytes:
    monkeypatch_module.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    return export.build_zip(SHIPPED, "onnx")


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _serve(folder: Path):
    handler = functools.partial(type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None}),
                                directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _unzip(data: bytes, where: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(where)
    return where / f"{SHIPPED}-onnx"


def _draw_and_read(page, url: str) -> str:
    page.goto(url)
    page.wait_for_selector("#status[data-ready='1']", timeout=90_000)
    index, sample = next((i, s) for i, s in enumerate(read_samples(
        SHARED_DATA / "pen-strokes" / "pendigits-train-writers.jsonl.gz")) if s["label"] == LABEL)
    box = page.locator("#pad").bounding_box()
    for stroke in canvas_points(sample["strokes"], index, box):
        draw_stroke(page, stroke)
    page.wait_for_function("document.getElementById('answer').textContent.trim() !== ''", timeout=30_000)
    return page.locator("#answer").inner_text().strip()


def test_the_page_reads_a_drawing_with_the_runtime_beside_it(playwright_browser, page_zip, ort_web, tmp_path):
    folder = _unzip(page_zip, tmp_path)
    for name in export.ORT_WEB_FILES:
        shutil.copy(ort_web / name, folder / name)
    server, url = _serve(folder)
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 900})
    asked = []
    context.route("**/*", lambda route: (asked.append(route.request.url), route.continue_()
                                         if urlparse(route.request.url).hostname == "127.0.0.1" else route.abort()))
    try:
        assert _draw_and_read(context.new_page(), url) == LABEL
    finally:
        context.close()
        server.shutdown()
    assert url + "ort.wasm.min.js" in asked and url + "model.onnx" in asked
    assert all(urlparse(u).hostname == "127.0.0.1" for u in asked)  # nothing from anywhere else


def test_the_page_falls_back_to_the_public_runtime(playwright_browser, page_zip, ort_web, tmp_path):
    folder = _unzip(page_zip, tmp_path)  # no runtime beside the page
    server, url = _serve(folder)
    public = export.ORT_WEB_URL.rsplit("/", 1)[0] + "/"
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 900})
    served = []

    def from_package(route):  # the public address, answered from the npm package
        name = route.request.url[len(public):]
        served.append(name)
        route.fulfill(path=str(ort_web / name), content_type="application/wasm" if name.endswith(".wasm")
                      else "text/javascript", headers={"Access-Control-Allow-Origin": "*"})
    context.route(public + "*", from_package)
    try:
        assert _draw_and_read(context.new_page(), url) == LABEL
    finally:
        context.close()
        server.shutdown()
    assert served[0] == "ort.wasm.min.js" and "ort-wasm-simd-threaded.wasm" in served
