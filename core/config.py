"""Where things live on disk. Every folder can be overridden by an environment variable."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """HWLAB_DATA_DIR: a folder laid out like the official downloads (mnist/, emnist/, ...).
    Default: a per-user cache, where downloads go."""
    env = os.environ.get("HWLAB_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "handwriting-lab" / "data"


def download_dir() -> Path:
    """Where downloaded files are cached: the data folder when it is writable, else the user cache."""
    d = data_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        if os.access(d, os.W_OK):
            return d
    except OSError:
        pass
    return Path.home() / ".cache" / "handwriting-lab" / "data"


def models_dir() -> Path:
    """HWLAB_MODELS_DIR, else the shipped models/ folder."""
    env = os.environ.get("HWLAB_MODELS_DIR")
    return Path(env).expanduser().resolve() if env else ROOT / "models"


def jobs_dir() -> Path:
    """HWLAB_JOBS_DIR, else jobs/ beside models/ (one folder per training job)."""
    env = os.environ.get("HWLAB_JOBS_DIR")
    return Path(env).expanduser().resolve() if env else models_dir().parent / "jobs"


def cache_dir() -> Path:
    """Derived data that is costly to recompute (rendered pen strokes, ...)."""
    env = os.environ.get("HWLAB_CACHE_DIR")
    return Path(env).expanduser().resolve() if env else Path.home() / ".cache" / "handwriting-lab" / "derived"


def whole_number(variable: str, default: int, lo: int, hi: int) -> int:
    """A whole-number setting from the environment, `default` when unset. Raises BadSettings with one
    sentence when it is set to anything else than a whole number from lo to hi."""
    from .errors import BadSettings

    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise BadSettings(f"{variable} must be a whole number from {lo:,} to {hi:,}, not {text!r}.")
    return int(text)


def map_points() -> int:
    """HWLAB_MAP_POINTS: how many test images a new bundle's map of what it learned shows (default 2,000;
    the tests draw small maps)."""
    return whole_number("HWLAB_MAP_POINTS", 2000, 10, 100_000)


def data_home() -> Path:
    """Where the app keeps what it makes (the class database): $XDG_DATA_HOME/handwriting-lab."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "handwriting-lab"


def db_url() -> str:
    """HWLAB_DB_URL (an SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db), else a SQLite file in the
    data home."""
    return os.environ.get("HWLAB_DB_URL") or f"sqlite:///{data_home() / 'class.db'}"
