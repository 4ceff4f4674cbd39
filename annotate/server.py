"""The embedded local Label Studio: start, status, stop, and where to connect.

`label-studio` (the `server` extra) runs with SQLite in a data folder of the project, bound to
127.0.0.1 only. An admin user and an API token are generated on first start and kept in a
credentials file readable only by its owner (mode 0600); the token is never logged. An existing
server is used instead when LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY are set — then nothing is
started.
"""

from __future__ import annotations

import json
import os
import secrets
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

from newsgold.annotate.errors import NewsgoldError

DATA_DIR_ENV = "NEWSGOLD_LS_DIR"
DEFAULT_DATA_DIR = ".labelstudio"
DEFAULT_PORT = 8080
HOST = "127.0.0.1"
STATE_FILE = "newsgold-server.json"
CREDENTIALS_FILE = "newsgold-credentials.json"
LOG_FILE = "label-studio.log"


class ServerError(NewsgoldError):
    """The local Label Studio could not be started, reached or stopped."""


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


def data_dir(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).resolve()


def external_connection() -> Connection | None:
    """The server named by LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY (the SDK's variables)."""
    url, key = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    if url and key:
        return Connection(url.rstrip("/"), key, local=False)
    if url or key:
        missing = "LABEL_STUDIO_API_KEY" if url else "LABEL_STUDIO_URL"
        raise ServerError(f"{missing} is not set; set both LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")
    return None


def credentials(folder: Path) -> dict:
    """The admin user and token of the local server, created (mode 0600) on first use."""
    path = folder / CREDENTIALS_FILE
    if path.exists():
        return json.loads(path.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    created = {
        "username": "admin@newsgold.local",
        "password": secrets.token_urlsafe(18),
        "token": secrets.token_hex(20),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(created, out)
    return created


def _state(folder: Path) -> dict | None:
    path = folder / STATE_FILE
    return json.loads(path.read_text()) if path.exists() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def status(folder: str | Path | None = None) -> ServerStatus:
    folder = data_dir(folder)
    state = _state(folder)
    username = None
    if (folder / CREDENTIALS_FILE).exists():
        username = credentials(folder)["username"]
    if state and _alive(state["pid"]) and healthy(state["url"]):
        return ServerStatus(True, state["url"], state["pid"], folder, username)
    return ServerStatus(False, None, None, folder, username)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start(
    folder: str | Path | None = None,
    port: int | None = None,
    timeout: float = 240.0,
    on_wait: Callable[[float], None] | None = None,
) -> ServerStatus:
    """Start the local server (or reuse the running one) and wait until it is healthy."""
    folder = data_dir(folder)
    current = status(folder)
    if current.running:
        return current
    executable = shutil.which("label-studio") or str(Path(sys.executable).parent / "label-studio")
    if not Path(executable).exists():
        raise ServerError(
            "label-studio is not installed; install the server extra: pip install -e '.[server]'"
        )
    port = port or DEFAULT_PORT
    with socket.socket() as probe:
        if probe.connect_ex((HOST, port)) == 0:
            raise ServerError(f"port {port} on {HOST} is in use by another program; pass --port N")
    login = credentials(folder)
    env = {
        **os.environ,
        "LABEL_STUDIO_USERNAME": login["username"],
        "LABEL_STUDIO_PASSWORD": login["password"],
        "LABEL_STUDIO_USER_TOKEN": login["token"],
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_BASE_DATA_DIR": str(folder),
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    }
    url = f"http://{HOST}:{port}"
    log = open(folder / LOG_FILE, "ab")
    process = subprocess.Popen(
        [executable, "start", "--no-browser", "--internal-host", HOST, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so --stop ends it and its children
    )
    log.close()
    (folder / STATE_FILE).write_text(json.dumps({"pid": process.pid, "url": url, "port": port}))
    started = time.monotonic()
    while not healthy(url):
        if process.poll() is not None:
            raise ServerError(
                f"label-studio exited with code {process.returncode} while starting; "
                f"see {folder / LOG_FILE}"
            )
        waited = time.monotonic() - started
        if waited > timeout:
            stop(folder)
            raise ServerError(
                f"label-studio did not answer on {url} within {timeout:.0f} s; see {folder / LOG_FILE}"
            )
        if on_wait:
            on_wait(waited)
        time.sleep(1.0)
    return ServerStatus(True, url, process.pid, folder, login["username"])


def stop(folder: str | Path | None = None, timeout: float = 30.0) -> bool:
    """Stop the local server; False when none was running."""
    folder = data_dir(folder)
    state = _state(folder)
    if not state or not _alive(state["pid"]):
        (folder / STATE_FILE).unlink(missing_ok=True)
        return False
    try:
        os.killpg(state["pid"], signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while _alive(state["pid"]) and time.monotonic() < deadline:
        try:  # reap it if it is our child
            os.waitpid(state["pid"], os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.2)
    if _alive(state["pid"]):
        os.killpg(state["pid"], signal.SIGKILL)
    (folder / STATE_FILE).unlink(missing_ok=True)
    return True


def connection(folder: str | Path | None = None) -> Connection:
    """Where commands connect: the external server if configured, else the local one."""
    external = external_connection()
    if external:
        return external
    folder = data_dir(folder)
    current = status(folder)
    if not current.running:
        raise ServerError(
            "no Label Studio server is running; start one with `annotate server`, or set "
            "LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY to use an existing server"
        )
    return Connection(current.url, credentials(folder)["token"], local=True)


def connect(folder: str | Path | None = None):
    """A checked client of the Label Studio to talk to: LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY,
    else the local server of `folder`."""
    from newsgold.annotate.labelstudio import LabelStudio

    conn = connection(folder)
    client = LabelStudio(conn.url, conn.api_key)
    client.check()
    return client
