"""The class database's tables and their versioned migrations.

`schema_version` holds one row: the version the database is at. Each migration moves it one step up in
the transaction that changes the tables, so a database is always at a known version; `migrate` runs the
missing steps in order (tests run them from an empty database and from version 1).

Version 3 adds rooms (one class each, with its join code): every class session belongs to one, and the
sessions (and so the drawings) that were there before go into one room, the default room that a server
without rooms uses.

Version 4 adds the training jobs' queue (core/serving/job_queue.py): every app process and worker that shares
the database sees the same jobs, their places in line and their ends."""
from __future__ import annotations

import secrets
import time
from typing import Callable

import sqlalchemy as sa

metadata = sa.MetaData()

# A room's join code: capital letters and digits without look-alikes (no 0 or O, no 1, I or L).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
DEFAULT_ROOM_NAME = "Class"  # the room the drawings from before rooms go into


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


schema_version = sa.Table("schema_version", metadata, sa.Column("version", sa.Integer, nullable=False))



def _class_sessions(md: sa.MetaData, *later: sa.Column) -> sa.Table:
    """The class sessions' table; `later`: the columns later versions added (version 1 creates it without)."""
    return sa.Table(
        "class_sessions", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("started", sa.Float, nullable=False),  # UTC epoch seconds
        sa.Column("archived", sa.Boolean, nullable=False, default=False),
        *later,
    )


rooms = sa.Table(
    "rooms", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(6), nullable=False, unique=True),  # the join code (core/classroom/rooms.py)
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("owner", sa.String(200), nullable=True),  # the teacher who opened it; None: the default room
    sa.Column("opened", sa.Float, nullable=False),  # UTC epoch seconds
    sa.Column("closed", sa.Boolean, nullable=False, default=False),
    sa.Column("shared_names", sa.Boolean, nullable=False, default=False),  # two students may share a nickname
)

class_sessions = _class_sessions(metadata, sa.Column("room_id", sa.Integer, sa.ForeignKey("rooms.id"), nullable=True))

drawings = sa.Table(
    "drawings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("class_sessions.id"), nullable=False),
    sa.Column("student", sa.String(24), nullable=False),
    sa.Column("created", sa.Float, nullable=False),  # UTC epoch seconds
    sa.Column("label", sa.String(8), nullable=False),  # what the student meant
    sa.Column("canvas_png", sa.LargeBinary, nullable=True),  # the drawing, a small PNG
    sa.Column("input28", sa.LargeBinary, nullable=False),  # the 28x28 model input, uint8, 784 bytes
    sa.Column("style", sa.String(16), nullable=False),  # how it was prepared (mnist, emnist)
    sa.Column("model", sa.String(80), nullable=False),
    sa.Column("prediction", sa.String(8), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("probs", sa.Text, nullable=False),  # JSON {"classes": [...], "p": [...]}
)


# Who holds each nickname in a room: the browser session (a random token) that first sent with it.
nicknames = sa.Table(
    "nicknames", metadata,
    sa.Column("room_id", sa.Integer, sa.ForeignKey("rooms.id"), primary_key=True),
    sa.Column("student", sa.String(24), primary_key=True),  # as stored on the drawings, case folded
    sa.Column("holder", sa.String(64), nullable=False),
    sa.Column("claimed", sa.Float, nullable=False),
)

# The training jobs' queue: one row a job, its folder (job_files.py) holds the details where it runs.
training_jobs = sa.Table(
    "training_jobs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # the job folder's name (jobs.ID_RE)
    sa.Column("state", sa.String(16), nullable=False),  # queued, running, done, failed, cancelled
    sa.Column("created", sa.Float, nullable=False),  # UTC epoch seconds: the order of the line
    sa.Column("settings", sa.Text, nullable=False),  # JSON, the checked settings
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("estimate_s", sa.Float, nullable=True),  # how long it should take here, when measured
    sa.Column("worker", sa.String(200), nullable=True),  # "host:pid" of the worker that took it
    sa.Column("heartbeat", sa.Float, nullable=True),  # the worker's last word while it runs the job
    sa.Column("cancel_requested", sa.Boolean, nullable=False, default=False),
    sa.Column("ended", sa.Float, nullable=True),
    sa.Column("bundle", sa.String(120), nullable=True),
    sa.Column("message", sa.Text, nullable=True),
)

_V1 = sa.MetaData()  # the tables as version 1 created them
_class_sessions(_V1)
drawings.to_metadata(_V1)


def _v1(conn: sa.Connection) -> None:
    for name in ("class_sessions", "drawings"):
        _V1.tables[name].create(conn, checkfirst=True)
    conn.execute(sa.insert(class_sessions).values(name="Session 1", started=time.time(), archived=False))


def _v2(conn: sa.Connection) -> None:
    # The wall reads one session's drawings, newest first, every two seconds.
    # Plain DDL (SQLite and PostgreSQL both have IF NOT EXISTS), so the index is not tied to the table's metadata
    # and version 1 stays what it was.
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_drawings_session_created ON drawings (session_id, created)"))


def _v3(conn: sa.Connection) -> None:
    rooms.create(conn, checkfirst=True)
    nicknames.create(conn, checkfirst=True)
    conn.execute(sa.text("ALTER TABLE class_sessions ADD COLUMN room_id INTEGER REFERENCES rooms (id)"))
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_class_sessions_room ON class_sessions (room_id, archived)"))
    default = conn.execute(sa.insert(rooms).values(code=new_code(), name=DEFAULT_ROOM_NAME, owner=None,
                                                   opened=time.time(), closed=False, shared_names=False)
                           .returning(rooms.c.id)).scalar()
    conn.execute(sa.update(class_sessions).values(room_id=default))  # every drawing there was: the default room


def _v4(conn: sa.Connection) -> None:
    training_jobs.create(conn, checkfirst=True)
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_training_jobs_state ON training_jobs (state, created)"))


MIGRATIONS: list[Callable[[sa.Connection], None]] = [_v1, _v2, _v3, _v4]  # MIGRATIONS[i] brings version i to i + 1
LATEST = len(MIGRATIONS)


def version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0


def migrate(engine: sa.Engine, to: int = LATEST) -> int:
    """Runs the missing migrations up to `to`, each in its own transaction; returns the version reached.
    Two processes starting at once: the loser of the race finds the step done and goes on."""
    for attempt in range(20):
        try:
            with engine.begin() as conn:
                schema_version.create(conn, checkfirst=True)
                v = version(conn)
                if v >= to:
                    return v
                MIGRATIONS[v](conn)
                if v == 0:
                    conn.execute(sa.insert(schema_version).values(version=1))
                else:
                    conn.execute(sa.update(schema_version).values(version=v + 1))
        except (sa.exc.IntegrityError, sa.exc.ProgrammingError, sa.exc.OperationalError) as exc:
            racing = not isinstance(exc, sa.exc.OperationalError) or "lock" in str(exc).lower()
            if attempt == 19 or not racing:  # an unreachable database is not a race: say so at once
                raise
            time.sleep(0.05 * (attempt + 1))  # another process was migrating: look again
    return version_of(engine)


def version_of(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return version(conn)
