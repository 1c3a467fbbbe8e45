"""Input bombs end in a sentence, in bounded memory and time: a zip bomb, a damaged zip and too many rows for
`class import` (core/classroom/transfer.py), a CSV row of 400,000 fields (core/datasets/kaggle.py, which the
submission path reads through too), and pictures too large to decode (core/preprocess.py,
core/classroom/pictures.py). Memory and CPU time are measured in a fresh interpreter (resource.getrusage)."""
import csv
import io
import json
import struct
import subprocess
import sys
import zipfile
import zlib

import numpy as np
import pytest

from core.classroom import pictures, transfer
from core.errors import BadCSV, BadImage, HWLabError
from core.model import preprocess
from conftest import ROOT

FIELDS = ["file", "input", "label", "student", "session", "created"]

# Runs one call in a fresh interpreter; prints the sentence it raised, the memory it added and its CPU time.
MEASURE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
{imports}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cpu = time.process_time()
try:
    {call}
    said = None
except Exception as exc:
    said = [type(exc).__name__, str(exc)]
print(json.dumps({{"said": said, "cpu_s": time.process_time() - cpu,
                   "added_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}}))
"""


def measured(imports: str, call: str) -> dict:
    code = MEASURE.format(root=str(ROOT), imports=imports, call=call)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def _labels(rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(FIELDS)
    w.writerows(rows)
    return buf.getvalue()


def _export(path, n=3, stored=False):
    """A small export: n drawings, each a picture and its 28x28 input."""
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", method) as z:
        rows = []
        for i in range(n):
            png = pictures.input_png(np.full((28, 28), 40 * i, np.uint8))
            z.writestr(f"7/{i}.png", png)
            z.writestr(f"inputs/{i}.png", png)
            rows.append([f"7/{i}.png", f"inputs/{i}.png", "7", f"s{i}", "1", ""])
        z.writestr("labels.csv", _labels(rows))
    return path


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path):
    bomb = tmp_path / "bomb.zip"  # one member of 256 MB of zeros (256 KB packed), named by 40 rows
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("labels.csv", _labels([["big.bin", "big.bin", "7", f"s{i}", "1", ""] for i in range(40)]))
        with z.open("big.bin", "w", force_zip64=True) as big:
            for _ in range(256):
                big.write(bytes(2**20))
    got = measured("from pathlib import Path\nfrom core.classroom.transfer import read_zip",
                   f"read_zip(Path({str(bomb)!r}))")
    assert got["said"][0] == "HWLabError" and "big.bin would unpack to 268 MB" in got["said"][1]
    assert got["added_mb"] < 100 and got["cpu_s"] < 1, got


def test_a_zip_whose_total_is_too_large_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(transfer, "MAX_ZIP_BYTES", 200)
    with pytest.raises(HWLabError, match="would unpack to"):
        transfer.read_zip(_export(tmp_path / "e.zip", n=5))


def test_labels_csv_rows_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(transfer, "MAX_IMPORT_ROWS", 3)
    with pytest.raises(HWLabError, match="more than 3 rows"):
        transfer.read_zip(_export(tmp_path / "e.zip", n=4))
    assert len(transfer.read_zip(_export(tmp_path / "f.zip", n=3))) == 3


def test_each_member_is_unpacked_once_however_many_rows_name_it(tmp_path, monkeypatch):
    path = tmp_path / "same.zip"
    png = pictures.input_png(np.full((28, 28), 9, np.uint8))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("p.png", png)
        z.writestr("labels.csv", _labels([["p.png", "p.png", "7", f"s{i}", "1", ""] for i in range(40)]))
    reads = []
    real = transfer._read_member
    monkeypatch.setattr(transfer, "_read_member", lambda zf, info: reads.append(info.filename) or real(zf, info))
    items = transfer.read_zip(path)
    assert len(items) == 40 and all(it["picture"] == png for it in items)
    assert sorted(reads) == ["labels.csv", "p.png"]


def test_a_zip_with_a_bad_checksum_is_a_sentence(tmp_path):
    path = _export(tmp_path / "e.zip", stored=True)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("inputs/1.png")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 40] ^= 0xFF  # a byte of the member's data: its CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(HWLabError, match="damaged or cut short.*nothing was added"):
        transfer.read_zip(path)


def test_a_zip_cut_short_is_a_sentence(tmp_path):
    path = _export(tmp_path / "e.zip")
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(HWLabError, match="not a zip of the class's drawings"):
        transfer.read_zip(path)


def test_a_csv_row_of_400000_fields_is_refused_at_once(tmp_path):
    wide = tmp_path / "test.csv"
    wide.write_text(",".join(f"pixel{i}" for i in range(784)) + "\n" + ",".join(["0"] * 400_000) + "\n")
    got = measured("import pandas\nfrom core.datasets.kaggle import read_csv", f"read_csv({str(wide)!r}, 'test')")
    assert got["said"] == ["BadCSV", "test.csv: line 2 of the file has 400,000 values where the header has 784 "
                                     "columns."]
    assert got["added_mb"] < 100 and got["cpu_s"] < 1, got


def test_a_long_line_later_in_the_csv_is_named_and_short_lines_pass_to_the_cell_check():
    from core.datasets import kaggle

    head = ",".join(kaggle.PIXELS)
    row = ",".join(["0"] * 784)
    with pytest.raises(BadCSV, match="line 4 of the file has 1,568 values"):
        kaggle.read_csv("\n".join([head, row, row, row + "," + row, row]).encode(), "test", "t.csv")
    with pytest.raises(BadCSV, match="row 2 .* the cell is empty"):
        kaggle.read_csv("\n".join([head, row, row[:-2], row]).encode(), "test", "t.csv")
    assert len(kaggle.read_csv("\n".join([head, row, row]).encode() + b"\r\n\n", "test", "t.csv")) == 2


def _png_header_only(w: int, h: int) -> bytes:
    """A PNG that declares w x h pixels and holds almost nothing: a decoder would allocate w*h."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [30_000, 60_000])  # above Pillow's warning and above its own bomb error
def test_a_picture_too_large_to_decode_is_a_sentence(side):
    with pytest.raises(BadImage, match="too large to read"):
        preprocess.read_image(_png_header_only(side, side), "huge.png")


def test_a_stored_input_of_the_wrong_size_is_refused_before_decoding():
    with pytest.raises(ValueError, match="must be 28x28 pixels, not 9000x9000"):
        pictures.read_input_png(_png_header_only(9_000, 9_000))
    with pytest.raises(ValueError, match="must be 28x28 pixels, not a picture too large"):
        pictures.read_input_png(_png_header_only(60_000, 60_000))
    with pytest.raises(ValueError, match="not a PNG picture"):
        pictures.read_input_png(b"this is text")
