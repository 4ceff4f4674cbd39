"""The embedded local Label Studio: start, status, stop, and where to connect.

`label-studio` (the `server` extra) runs with SQLite in a data folder of the project, or on a
PostgreSQL database (`database.py`), bound to 127.0.0.1 only. An admin user and an API token are generated on first start and kept in a
credentials file readable only by its owner (mode 0600); the token is never logged. An existing
server is used instead when LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY are set — then nothing is
started.

The data folder holds the API token (in the credentials file and in Label Studio's database), so
it is private to its owner: created 0700, tightened on every start if it is not (the result says
so), and Label Studio runs with umask 077. The state file records the process's start time and
command line; `stop` signals only the process that matches them, so a pid reused by another
program after a crash or reboot is never signalled. It also records the database (its URL with
the password masked, None for SQLite): a start asking for another database than the running
server's is refused.

Several app servers over one PostgreSQL database (a team behind a load balancer) each have a data
folder holding the same credentials file: the admin user and token live in the database, which
the first server to start creates them in; a start whose token the database refuses says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from newsgold.annotate.studio import database as db

# The private files' names and checks, offered here too (server.STATE_FILE, server.ServerError, ...).
from newsgold.annotate.studio.private import (  # noqa: F401
    CREDENTIALS_FILE,
    DATABASE,
    LOG_FILE,
    PRIVATE_FILES,
    STATE_FILE,
    ServerError,
    _write_private,
    credentials,
    private_folder,
)
from newsgold.annotate.studio.process import _checked_state, _group_alive, _identity, _ours, _state  # noqa: F401 (tests and callers read the state through server)

DATA_DIR_ENV = "NEWSGOLD_LS_DIR"


DEFAULT_DATA_DIR = ".labelstudio"


DEFAULT_PORT = 8080


HOST = "127.0.0.1"


@dataclass(frozen=True)
class Connection:
    url: str
    api_key: str
    local: bool  # True when it is the embedded server of this project


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    url: str | None
    pid: int | None
    data_dir: Path
    username: str | None
    notes: tuple[str, ...] = ()  # what was done on the way: permissions tightened, stale state removed
    database: str | None = None  # the PostgreSQL URL, password masked; None: SQLite in data_dir

    def where(self) -> str:
        """Where the local server was looked for, and how to point elsewhere."""
        missing = "" if self.data_dir.is_dir() else ", which does not exist"
        return (
            f"looked in the data folder {self.data_dir}{missing} (from --data-dir, else ${DATA_DIR_ENV}, "
            f"else ./{DEFAULT_DATA_DIR}); pass --data-dir DIR or set {DATA_DIR_ENV} to the folder of a "
            "running server, or set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY to use another server"
        )


@dataclass(frozen=True)
class Stopped:
    stopped: bool  # False when no server of this folder was running
    notes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.stopped


def data_dir(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).resolve()


def checked_url(url: str) -> str:
    """`url` when it can be a Label Studio address (http or https, a host, a port that exists);
    a misspelt one is refused at once instead of being asked again and again as unreachable."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range or not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServerError(
            f"LABEL_STUDIO_URL {url!r} is not an http(s) address with a host and a valid port; "
            "set it to the address Label Studio's web UI opens at (e.g. http://localhost:8080)"
        )
    return url


def external_connection() -> Connection | None:
    """The server named by LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY (the SDK's variables)."""
    url, key = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    if url and key:
        return Connection(checked_url(url).rstrip("/"), key, local=False)
    if url or key:
        missing = "LABEL_STUDIO_API_KEY" if url else "LABEL_STUDIO_URL"
        raise ServerError(f"{missing} is not set; set both LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")
    return None


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def status(folder: str | Path | None = None) -> ServerStatus:
    folder = data_dir(folder)
    state, notes = _checked_state(folder)
    username = None
    if (folder / CREDENTIALS_FILE).exists():
        username = credentials(folder)["username"]
    if state and healthy(state["url"]):
        return ServerStatus(True, state["url"], state["pid"], folder, username, notes, state.get("database"))
    return ServerStatus(False, None, None, folder, username, notes)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _database_name(masked: str | None, folder: Path) -> str:
    return masked or f"SQLite in {folder}"


def start(
    folder: str | Path | None = None,
    port: int | None = None,
    timeout: float = 240.0,
    on_wait: Callable[[float], None] | None = None,
    database: str | None = None,
) -> ServerStatus:
    """Start the local server (or reuse the running one) and wait until it is healthy: on SQLite
    in the data folder, or on the PostgreSQL `database` URL (see `database.parse`)."""
    from newsgold.annotate.limits import check

    port = check("port", port)
    pg = db.parse(database) if database else None
    folder = data_dir(folder)
    tightened = private_folder(folder)
    current = status(folder)
    notes = tightened + current.notes
    if current.running:
        wanted = pg.masked if pg else None
        if current.database != wanted:
            raise ServerError(
                f"the local Label Studio of {folder} (pid {current.pid}, {current.url}) runs on "
                f"{_database_name(current.database, folder)}, not on {_database_name(wanted, folder)}; stop it "
                "first (annotate server --stop), or pass another --data-dir for a second server"
            )
        return ServerStatus(True, current.url, current.pid, folder, current.username, notes, current.database)
    executable = shutil.which("label-studio") or str(Path(sys.executable).parent / "label-studio")
    if not Path(executable).exists():
        raise ServerError("label-studio is not installed; install the server extra: pip install -e '.[server]'")
    port = port or DEFAULT_PORT
    with socket.socket() as probe:
        if probe.connect_ex((HOST, port)) == 0:
            raise ServerError(f"port {port} on {HOST} is in use by another program; pass --port N")
    url = f"http://{HOST}:{port}"
    with db.start_lock(pg, timeout, on_wait) if pg else contextlib.nullcontext():  # reached, or an error
        login = credentials(folder)
        env = {
            **db.server_environment(dict(os.environ), pg),
            "LABEL_STUDIO_USERNAME": login["username"],
            "LABEL_STUDIO_PASSWORD": login["password"],
            "LABEL_STUDIO_USER_TOKEN": login["token"],
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_BASE_DATA_DIR": str(folder),
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        }
        process = _launch(folder, executable, port, env, url, timeout, on_wait, pg)
    if pg and not authorized(url, login["token"]):
        stop(folder)
        raise ServerError(
            f"{pg.masked} already has the admin user {login['username']} with another API token (another data "
            f"folder's server created it); copy that folder's {CREDENTIALS_FILE} into {folder}: every app server "
            "of one database shares it"
        )
    return ServerStatus(True, url, process.pid, folder, login["username"], notes, pg.masked if pg else None)


def authorized(url: str, token: str) -> bool:
    """Whether the server accepts `token` (a 401 or 403 says it does not)."""
    request = urllib.request.Request(f"{url}/api/current-user/whoami", headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10):
            return True
    except urllib.error.HTTPError as exc:
        return exc.code not in (401, 403)


def _launch(
    folder: Path,
    executable: str,
    port: int,
    env: dict,
    url: str,
    timeout: float,
    on_wait: Callable[[float], None] | None,
    pg: db.Database | None,
) -> subprocess.Popen:
    """Run label-studio on `port` and wait until it answers; the state file records it."""
    log = os.fdopen(os.open(folder / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
    process = subprocess.Popen(
        [executable, "start", "--no-browser", "--internal-host", HOST, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so --stop ends it and its children
        umask=0o077,  # its database, uploads and exports: owner-only
    )
    log.close()
    state = {
        "pid": process.pid,
        "url": url,
        "port": port,
        "started": (_identity(process.pid) or {}).get("started"),
        "database": pg.masked if pg else None,
    }
    _write_private(folder / STATE_FILE, json.dumps(state))
    started = time.monotonic()
    while not healthy(url):
        if process.poll() is not None:
            raise ServerError(
                f"label-studio exited with code {process.returncode} while starting; see {folder / LOG_FILE}"
            )
        waited = time.monotonic() - started
        if waited > timeout:
            stop(folder)
            raise ServerError(f"label-studio did not answer on {url} within {timeout:.0f} s; see {folder / LOG_FILE}")
        if on_wait:
            on_wait(waited)
        time.sleep(1.0)
    # the command line is the program's own only after exec; record it now, for stop to compare
    _write_private(folder / STATE_FILE, json.dumps({**state, "cmdline": (_identity(process.pid) or {}).get("cmdline")}))
    return process


def stop(folder: str | Path | None = None, timeout: float = 30.0) -> Stopped:
    """Stop the local server this folder started (false when none was running). A state file
    naming another program (a reused pid) is removed without signalling anything."""
    folder = data_dir(folder)
    state, notes = _checked_state(folder)
    if not state:
        return Stopped(False, notes)
    try:
        os.killpg(state["pid"], signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    # the whole process group: Label Studio's children may hold the port after the leader exits
    while _group_alive(state["pid"]) and time.monotonic() < deadline:
        try:  # reap it if it is our child
            os.waitpid(state["pid"], os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.2)
    if _group_alive(state["pid"]):
        try:
            os.killpg(state["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    (folder / STATE_FILE).unlink(missing_ok=True)
    return Stopped(True, notes)


def connection(folder: str | Path | None = None) -> Connection:
    """Where commands connect: the external server if configured, else the local one."""
    external = external_connection()
    if external:
        return external
    folder = data_dir(folder)
    current = status(folder)
    if not current.running:
        stale = "".join(f" ({note})" for note in current.notes)
        raise ServerError(
            f"no Label Studio server is running{stale}; {current.where()}; or start one with `annotate server`"
        )
    return Connection(current.url, credentials(folder)["token"], local=True)


def connect(folder: str | Path | None = None):
    """A checked client of the Label Studio to talk to: LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY,
    else the local server of `folder`."""
    from newsgold.annotate.studio.client import LabelStudio

    conn = connection(folder)
    client = LabelStudio(conn.url, conn.api_key)
    client.check()
    return client
