"""benchmarks/train_speed.py guards its own honesty: a run that starts on a loaded machine says in its last
lines that its ratio is not valid, and its JSON line carries "valid": false."""
import json
import os
import sys

from conftest import ROOT, needs_shared

sys.path.insert(0, str(ROOT / "benchmarks"))
import train_speed  # noqa: E402


def test_the_load_average_before_decides_whether_a_run_is_valid():
    assert train_speed.validity(0.98, 2)[0] is True
    ok, why = train_speed.validity(1.02, 2)
    assert ok is False and "NOT VALID" in why and "1.02" in why
    assert train_speed.validity(1.5, 4)[0] is True  # one per two cores
    assert train_speed.validity(None, 2)[0] is False  # unknown: never quoted as valid


@needs_shared
def test_a_run_on_a_loaded_machine_says_in_its_last_lines_and_json_that_it_is_not_valid(monkeypatch, capsys, tmp_path):
    load, valid = 3.4, False
    monkeypatch.setenv("HWLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(tmp_path / "models"))  # the benchmark sets its own: put back after
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    train_speed.main(["--quick", "--ours-only", "--seeds", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["valid"] is valid and result["load_before"] == load
    assert ("NOT VALID" in lines[-2]) is not valid and f"{load:.2f}" in lines[-2]
