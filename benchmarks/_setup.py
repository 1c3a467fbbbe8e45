"""Common setup of the benchmarks: project root on sys.path, quiet TensorFlow, and the shared
development data as HWLAB_DATA_DIR unless it is set."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if (ROOT.parent / "shared" / "datasets").is_dir():
    os.environ.setdefault("HWLAB_DATA_DIR", str(ROOT.parent / "shared" / "datasets"))
