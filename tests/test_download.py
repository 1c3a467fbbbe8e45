"""Downloads against a small HTTP server on 127.0.0.1: a good file is cached, a checksum mismatch or an
interrupted transfer raises and leaves no file behind, offline gives a clear message; MNIST and EMNIST
fetched through it land where the loaders find them."""
import hashlib
import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from conftest import SHARED_DATA, needs_shared
from core import datasets
from core.datasets import emnist, mnist
from core.datasets.download import download
from core.errors import DatasetMissing, DownloadError
from core.datasets.idx import write_idx

GOOD = bytes(range(256)) * 400  # 102,400 bytes
GOOD_MD5 = "md5:" + hashlib.md5(GOOD).hexdigest()


class Server:
    """Serves `files` (path -> bytes); /cut/<n> sends a Content-Length of 2n and closes after n bytes."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                server.hits.append(self.path)
                if self.path.startswith("/cut/"):
                    n = int(self.path.rsplit("/", 1)[1])
                    self.send_response(200)
                    self.send_header("Content-Length", str(2 * n))
                    self.end_headers()
                    self.wfile.write(GOOD[:n])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server():
    s = Server()
    s.files["/good.bin"] = GOOD
    yield s
    s.close()


@pytest.fixture
def closed_port_url():
    """An address on 127.0.0.1 where nothing listens (a server opened and closed at once)."""
    s = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = s.server_address[1]
    s.server_close()
    return f"http://127.0.0.1:{port}"


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_good_file_is_downloaded_with_progress_and_then_cached(server, tmp_path):
    dest = tmp_path / "cache" / "good.bin"
    seen = []
    assert download([server.url + "/good.bin"], dest, GOOD_MD5, lambda d, t: seen.append((d, t))) == dest
    assert dest.read_bytes() == GOOD
    assert leftovers(dest.parent) == ["good.bin"]  # no .part file left
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and dones[-1] == len(GOOD) and all(t == len(GOOD) for _, t in seen)
    hits = len(server.hits)
    assert download([server.url + "/good.bin"], dest, GOOD_MD5) == dest  # already there and right: no request
    assert len(server.hits) == hits


def test_a_checksum_mismatch_raises_and_leaves_no_file(server, tmp_path):
    dest = tmp_path / "bad.bin"
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download([server.url + "/good.bin"], dest, "md5:" + "0" * 32)
    assert leftovers(tmp_path) == []


def test_a_damaged_file_already_there_is_replaced(server, tmp_path):
    dest = tmp_path / "good.bin"
    dest.write_bytes(b"half a file")
    download([server.url + "/good.bin"], dest, GOOD_MD5)
    assert dest.read_bytes() == GOOD


def test_an_interrupted_transfer_raises_and_leaves_no_file(server, tmp_path):
    dest = tmp_path / "cut.bin"
    with pytest.raises(DownloadError) as err:
        download([server.url + "/cut/5000"], dest, GOOD_MD5)
    assert "cut" in str(err.value) and leftovers(tmp_path) == []


def test_an_interruption_on_our_side_leaves_no_file(server, tmp_path):
    def stop(done, total):
        if done > 0:
            raise KeyboardInterrupt  # Ctrl-C, or a Streamlit run stopped inside the progress callback

    with pytest.raises(KeyboardInterrupt):
        download([server.url + "/good.bin"], tmp_path / "good.bin", GOOD_MD5, stop)
    assert leftovers(tmp_path) == []


def test_the_next_address_is_tried_and_every_failure_is_named(server, tmp_path, closed_port_url):
    dest = tmp_path / "good.bin"
    download([server.url + "/missing.bin", server.url + "/good.bin"], dest, GOOD_MD5)
    assert dest.read_bytes() == GOOD
    with pytest.raises(DownloadError) as err:
        download([server.url + "/missing.bin", closed_port_url + "/good.bin"], tmp_path / "x.bin", GOOD_MD5)
    msg = str(err.value)
    assert "x.bin" in msg and "404" in msg and closed_port_url in msg
    assert leftovers(tmp_path) == ["good.bin"]


def test_the_same_failure_from_every_address_is_said_once(tmp_path, closed_port_url):
    urls = [closed_port_url + "/a/good.bin", closed_port_url + "/b/good.bin", closed_port_url + "/c/good.bin"]
    with pytest.raises(DownloadError) as err:  # offline: every mirror fails the same way
        download(urls, tmp_path / "x.bin", GOOD_MD5)
    msg = str(err.value)
    assert msg.count("offline?") == 1 and all(u in msg for u in urls), msg


# ---------------------------------------------------------------- MNIST and EMNIST through the server
@pytest.fixture
def empty_data(tmp_path, monkeypatch):
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("HWLAB_DATA_DIR", str(d))
    return d


@needs_shared
def test_mnist_is_fetched_with_progress_into_the_data_folder(server, empty_data, monkeypatch):
    for f in mnist.MD5:
        body = (SHARED_DATA / "mnist" / f).read_bytes()
        server.files[f"/mnist/{f}"] = body
        # The shared train images were re-compressed: same pixels, another md5 than the official file.
        monkeypatch.setitem(mnist.MD5, f, hashlib.md5(body).hexdigest())
        monkeypatch.setitem(mnist.SIZES, f, len(body))
    monkeypatch.setattr(mnist, "URLS", [server.url + "/nowhere/", server.url + "/mnist/"])
    assert datasets.file_status("mnist")["state"] == "missing"
    assert datasets.download_size_mb("mnist") > 10
    seen = []
    ds = datasets.load("mnist", lambda d, t: seen.append((d, t)))
    total = sum(mnist.SIZES.values())
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1] == (total, total)
    assert sorted(p.name for p in (empty_data / "mnist").iterdir()) == sorted(mnist.MD5)
    assert np.bincount(ds.test.y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert datasets.file_status("mnist")["state"] == "complete" and datasets.download_size_mb("mnist") == 0


def test_offline_mnist_names_the_files_the_folder_and_the_address(empty_data, monkeypatch, closed_port_url):
    monkeypatch.setattr(mnist, "URLS", [closed_port_url + "/mnist/"])
    for kwargs in ({"download": False}, {}):
        with pytest.raises(DatasetMissing) as err:
            datasets.load("mnist", **kwargs)
        msg = str(err.value)
        assert all(f in msg for f in mnist.MD5), msg
        assert str(empty_data / "mnist") in msg and closed_port_url in msg
    assert "downloading failed" in msg
    assert list(empty_data.rglob("*.part")) == [] and list(empty_data.rglob("*.gz")) == []


def _tiny_emnist_zip() -> bytes:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    y = np.arange(40, dtype=np.uint8) % 10
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("gzip/emnist-mnist-test-images-idx3-ubyte.gz", write_idx(x))
        zf.writestr("gzip/emnist-mnist-test-labels-idx1-ubyte.gz", write_idx(y))
        zf.writestr("gzip/emnist-mnist-mapping.txt", "".join(f"{i} {48 + i}\n" for i in range(10)))
    return buf.getvalue()


def test_emnist_gzip_zip_is_fetched_and_read(server, empty_data, monkeypatch, closed_port_url):
    body = _tiny_emnist_zip()
    server.files["/EMNIST/gzip.zip"] = body
    monkeypatch.setattr(emnist, "URL", closed_port_url + "/EMNIST/gzip.zip")
    with pytest.raises(DatasetMissing) as err:
        datasets.load("emnist-mnist")
    assert str(empty_data / "emnist") in str(err.value) and closed_port_url in str(err.value)
    assert leftovers(empty_data / "emnist") == []

    monkeypatch.setattr(emnist, "URL", server.url + "/EMNIST/gzip.zip")
    monkeypatch.setattr(emnist, "MD5", hashlib.md5(body).hexdigest())
    datasets.fetch("emnist-mnist", lambda d, t: None)
    assert leftovers(empty_data / "emnist") == ["gzip.zip"]
    ds = datasets.load("emnist-mnist", download=False)
    assert ds.classes == datasets.DIGITS and len(ds.train) + len(ds.test) == 40
    status = datasets.file_status("emnist-mnist")
    assert status["state"] == "partial" and len(status["present"]) == 2


def test_kaggle_is_never_downloaded(empty_data):
    assert not datasets.can_download("kaggle-digit-recognizer")
    with pytest.raises(DatasetMissing, match="Kaggle needs a login"):
        datasets.fetch("kaggle-digit-recognizer")


@needs_shared
def test_the_datasets_page_downloads_a_missing_dataset(server, empty_data, monkeypatch):
    """A missing MNIST shows where to get it and a Download button; the button fetches it (progress bar,
    checksum) and the page then shows the dataset."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    for f in mnist.MD5:
        body = (SHARED_DATA / "mnist" / f).read_bytes()
        server.files[f"/page-mnist/{f}"] = body
        monkeypatch.setitem(mnist.MD5, f, hashlib.md5(body).hexdigest())
        monkeypatch.setitem(mnist.SIZES, f, len(body))
    monkeypatch.setattr(mnist, "URLS", [server.url + "/page-mnist/"])
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/datasets.py").run()
    assert not at.exception and not at.error  # nothing was tried yet: said calmly, no red box
    assert str(empty_data / "mnist") in at.info[0].value and server.url in at.info[0].value
    assert not at.metric
    next(b for b in at.button if b.label.startswith("Download")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric}["Test"] == "10,000"
    assert sorted(p.name for p in (empty_data / "mnist").iterdir()) == sorted(mnist.MD5)


def test_a_failed_download_on_the_page_leaves_one_error_and_no_progress_bar(empty_data, monkeypatch, closed_port_url):
    """Offline: the button's failure replaces the page's "missing" error (not a second one that repeats it), the
    progress bar goes, and the button and the size it says agree with the page's text."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    monkeypatch.setattr(mnist, "URLS", [closed_port_url + "/mnist/"])
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["datasets-name"] = "mnist"
    at.run()
    at.switch_page("app_pages/datasets.py").run()
    button = next(b for b in at.button if b.label.startswith("Download"))
    size = button.label.split("about ")[1].split(" MB")[0]
    assert f"about {size} MB" in " ".join(c.value for c in at.caption)  # the page's text says the same size
    button.click().run()
    assert not at.exception
    assert len(at.error) == 1 and "downloading failed" in at.error[0].value and closed_port_url in at.error[0].value
    assert not at.get("progress")
