"""The PostgreSQL database a local Label Studio can run on instead of SQLite.

A URL `postgresql://USER:PASSWORD@HOST:PORT/DB` (from `annotate server --database`, else
$NEWSGOLD_DATABASE_URL) becomes the variables Label Studio's settings read (`DJANGO_DB=default`
and `POSTGRE_NAME/USER/PASSWORD/HOST/PORT`), passed through the server's environment only: the
password is never on a command line, in the state file, a log line or a message (`masked`).

Before Label Studio starts, the database is reached once (psycopg, which Label Studio ships),
so a wrong URL fails in seconds with one line; and the start holds a PostgreSQL advisory lock
until the server answers, so two app servers started at once over one database never run
Label Studio's migrations at the same time: the second waits for the first.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator
from urllib.parse import unquote, urlsplit

from newsgold.annotate.errors import NewsgoldError

DATABASE_ENV = "NEWSGOLD_DATABASE_URL"
FORM = "postgresql://USER:PASSWORD@HOST:PORT/DB"
DEFAULT_PORT = 5432
# Label Studio reads each setting X from LABEL_STUDIO_X, HEARTEX_X or X (core/utils/params.py,
# get_env): ours must be the only ones the server sees.
SETTINGS = (
    "DJANGO_DB",
    "DATABASE_NAME",
    "POSTGRE_NAME",
    "POSTGRE_USER",
    "POSTGRE_PASSWORD",
    "POSTGRE_HOST",
    "POSTGRE_PORT",
)
PREFIXES = ("LABEL_STUDIO_", "HEARTEX_", "")
START_LOCK = 0x6E657773676F6C64  # "newsgold": the advisory lock app servers take while they start


class DatabaseError(NewsgoldError):
    """The database URL is malformed, or the database cannot be reached with it."""


def mask(url: str) -> str:
    """`url` with any password (what stands between the user's `:` and the last `@`) replaced by
    ***, also when the URL is malformed."""
    head, at, tail = url.rpartition("@")
    start = head.find("://") + 3 if "://" in head else (2 if head.startswith("//") else 0)
    colon = head.find(":", start)
    return f"{head[: colon + 1]}***@{tail}" if at and colon >= 0 else url


@dataclass(frozen=True)
class Database:
    user: str
    password: str
    host: str
    port: int
    name: str

    @property
    def masked(self) -> str:
        """The URL as newsgold shows and records it: the password is ***."""
        return f"postgresql://{self.user}:***@{self.host}:{self.port}/{self.name}"

    def environment(self) -> dict[str, str]:
        """What Label Studio's settings read to use this database (core/settings/base.py)."""
        return {
            "DJANGO_DB": "default",
            "POSTGRE_NAME": self.name,
            "POSTGRE_USER": self.user,
            "POSTGRE_PASSWORD": self.password,
            "POSTGRE_HOST": self.host,
            "POSTGRE_PORT": str(self.port),
        }


def parse(url: str) -> Database:
    """The database a URL names; a DatabaseError naming the URL (masked), what is wrong and the
    form to use."""
    shown = mask(url.strip())
    try:
        parts = urlsplit(url.strip())
        port = parts.port or DEFAULT_PORT
    except ValueError:  # its message may quote the password, read as a port
        raise DatabaseError(
            f"database URL {shown}: HOST:PORT is not a host and a port number (percent-encode "
            f"any / : @ in the password); give {FORM}"
        ) from None
    if parts.scheme not in ("postgresql", "postgres"):
        scheme = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise DatabaseError(
            f"database URL {shown} is not a PostgreSQL URL ({scheme}); give {FORM} "
            "(SQLite, the default, needs no --database)"
        )
    name = unquote(parts.path.lstrip("/"))
    missing = [what for what, value in (("USER", parts.username), ("HOST", parts.hostname), ("DB", name)) if not value]
    if missing:
        raise DatabaseError(f"database URL {shown} lacks {', '.join(missing)}; give {FORM}")
    if "/" in name or parts.query or parts.fragment:
        raise DatabaseError(
            f"database URL {shown}: Label Studio takes only user, password, host, port and "
            f"database name; give {FORM} (set libpq options such as PGSSLMODE in the environment)"
        )
    return Database(unquote(parts.username), unquote(parts.password or ""), parts.hostname, port, name)


def server_environment(environ: dict[str, str], database: Database | None) -> dict[str, str]:
    """`environ` with every database setting Label Studio would read replaced by ours: SQLite in
    its data folder when `database` is None, else `database`."""
    cleaned = {
        key: value
        for key, value in environ.items()
        if not any(key == prefix + setting for prefix in PREFIXES for setting in SETTINGS)
    }
    return {**cleaned, **(database.environment() if database else {"DJANGO_DB": "sqlite"})}


def _cause(exc: Exception, database: Database) -> str:
    """psycopg's message on one line, the password masked, and what to do about it."""
    text = " ".join(str(exc).split())
    if database.password:
        text = text.replace(database.password, "***")
    if "password authentication failed" in text or "no password supplied" in text:
        fix = "check USER and PASSWORD"
    elif "does not exist" in text:
        fix = f"create the database (createdb -O {database.user} {database.name}) or fix DB"
    else:
        fix = "check HOST and PORT, and that PostgreSQL runs there and accepts TCP connections from this machine"
    return f"{text}; {fix}"


@contextmanager
def start_lock(database: Database, timeout: float, on_wait: Callable[[float], None] | None = None) -> Iterator[None]:
    """Reach the database (a DatabaseError with the cause when it cannot be), then hold its start
    lock while the body runs: another newsgold starting an app server on the same database waits,
    so Label Studio's migrations never run twice at once."""
    try:
        import psycopg
    except ImportError:
        raise DatabaseError(
            "psycopg (which Label Studio uses for PostgreSQL) is not installed; install the "
            "server extra: pip install -e '.[server]'"
        ) from None
    try:
        connection = psycopg.connect(
            host=database.host,
            port=database.port,
            user=database.user,
            password=database.password,
            dbname=database.name,
            connect_timeout=10,
            autocommit=True,
        )
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot reach the database {database.masked}: {_cause(exc, database)}") from None
    with connection:
        started = time.monotonic()
        while not connection.execute("SELECT pg_try_advisory_lock(%s)", (START_LOCK,)).fetchone()[0]:
            waited = time.monotonic() - started
            if waited > timeout:
                raise DatabaseError(
                    f"another app server has been starting on {database.masked} for over "
                    f"{timeout:.0f} s (it holds newsgold's start lock); see its log, then try again"
                )
            if on_wait:
                on_wait(waited)
            time.sleep(1.0)
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (START_LOCK,))
