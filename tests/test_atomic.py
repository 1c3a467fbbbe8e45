"""core/atomic.py: a reader sees the old file or the new one, never half of one, and nothing is left behind."""
import pytest

from core import atomic


def test_a_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    dest = tmp_path / "card.json"
    dest.write_text("old")
    atomic.write_json(dest, {"a": 1})
    assert dest.read_text() == '{\n "a": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["card.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_half_one(tmp_path):
    dest = tmp_path / "train.csv"
    dest.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic.replacing(dest) as tmp:
            tmp.write_text("half")
            assert tmp.parent == tmp_path and tmp.name.startswith(".train.csv.")
            raise KeyboardInterrupt  # as Ctrl-C or a stopped Streamlit run
    assert dest.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["train.csv"]
