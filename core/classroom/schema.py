"""The class database's tables and their versioned migrations.

`schema_version` holds one row: the version the database is at. Each migration moves it one step up in
the transaction that changes the tables, so a database is always at a known version; `migrate` runs the
missing steps in order (tests run them from an empty database and from version 1)."""
from __future__ import annotations

import time
from typing import Callable

import sqlalchemy as sa

metadata = sa.MetaData()

schema_version = sa.Table("schema_version", metadata, sa.Column("version", sa.Integer, nullable=False))

class_sessions = sa.Table(
    "class_sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("started", sa.Float, nullable=False),  # UTC epoch seconds
    sa.Column("archived", sa.Boolean, nullable=False, default=False),
)

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


def _v1(conn: sa.Connection) -> None:
    for t in (class_sessions, drawings):
        t.create(conn, checkfirst=True)
    conn.execute(sa.insert(class_sessions).values(name="Session 1", started=time.time(), archived=False))


def _v2(conn: sa.Connection) -> None:
    # The wall reads one session's drawings, newest first, every two seconds.
    # Plain DDL (SQLite and PostgreSQL both have IF NOT EXISTS), so the index is not tied to the table's metadata
    # and version 1 stays what it was.
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_drawings_session_created ON drawings (session_id, created)"))


MIGRATIONS: list[Callable[[sa.Connection], None]] = [_v1, _v2]  # MIGRATIONS[i] brings version i to i + 1
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
