"""The README gives the two commands of a fresh machine, and CI runs exactly its test command."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_readme_start_and_test_commands_match_ci():
    readme = (ROOT / "README.md").read_text()
    blocks = _bash_blocks(readme)
    start = next(b for b in blocks if "streamlit run app.py" in b)
    test = next(b for b in blocks if "pytest" in b)
    assert "requirements.txt" in start and "\n" not in start
    assert "requirements-test.txt" in test and "\n" not in test
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci.splitlines(), "the README's test command must be what .ci/run runs"
    assert "HWLAB_DATA_DIR" in readme and "HWLAB_MODELS_DIR" in readme
