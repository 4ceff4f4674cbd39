"""The local server's private files: the data folder made owner-only (0700) and the
credentials file (mode 0600) holding the admin user and the API token, checked when read."""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path

from newsgold.annotate.errors import NewsgoldError

STATE_FILE = "newsgold-server.json"


CREDENTIALS_FILE = "newsgold-credentials.json"


LOG_FILE = "label-studio.log"


# Files of the data folder that hold the API token or the annotations: owner-only (0600).
DATABASE = "label_studio.sqlite3"


PRIVATE_FILES = (
    CREDENTIALS_FILE,
    DATABASE,
    f"{DATABASE}-wal",
    f"{DATABASE}-shm",
    f"{DATABASE}-journal",
    STATE_FILE,
    LOG_FILE,
)


class ServerError(NewsgoldError):
    """The local Label Studio could not be started, reached or stopped."""


def private_folder(folder: Path) -> tuple[str, ...]:
    """Create the data folder owner-only (0700), or tighten an existing one and its PRIVATE_FILES
    that others can read; a note saying what was tightened, if anything."""
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
        return ()
    changed = []
    for path, private in [(folder, 0o700)] + [(folder / name, 0o600) for name in PRIVATE_FILES]:
        if path.is_symlink() or not path.exists():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(private)
            changed.append(f"{path.name} {mode:04o} -> {stat.S_IMODE(path.stat().st_mode):04o}")
    if not changed:
        return ()
    return (
        f"made the data folder {folder} private ({', '.join(changed)}): other users on this machine "
        "could read the API token in it",
    )


def _write_private(path: Path, text: str, exclusive: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    with os.fdopen(os.open(path, flags, 0o600), "w") as out:
        out.write(text)


def credentials(folder: Path) -> dict:
    """The admin user and token of the local server, created (mode 0600) on first use."""
    path = folder / CREDENTIALS_FILE
    if path.exists():
        return _saved_credentials(path)
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
    created = {
        "username": "admin@newsgold.local",
        "password": secrets.token_urlsafe(18),
        "token": secrets.token_hex(20),
    }
    _write_private(path, json.dumps(created), exclusive=True)
    return created


def _saved_credentials(path: Path) -> dict:
    """The credentials file newsgold wrote: a JSON object of `username`, `password` and `token`
    strings; anything else is a ServerError naming the file and the fix."""
    from newsgold.annotate.errors import DocumentError
    from newsgold.annotate.jsonl import parse_json

    fix = (
        f"restore the file newsgold wrote, or move it away to have new credentials made (a server already "
        f"started in {path.parent} then needs a new --data-dir)"
    )
    try:
        saved = parse_json(path.read_bytes(), str(path))
    except DocumentError as exc:
        cause = str(exc).split(": ", 1)[-1].split(";")[0]  # not JSON, nested too deep, not UTF-8
        raise ServerError(f"{path}: {cause}; {fix}") from None
    except OSError as exc:
        raise ServerError(f"{path}: cannot be read ({exc.strerror}); {fix}") from None
    wrong = [
        key
        for key in ("username", "password", "token")
        if not isinstance(saved, dict) or not isinstance(saved.get(key), str) or not saved[key]
    ]
    if wrong:
        raise ServerError(
            f"{path}: not the credentials newsgold writes ({', '.join(wrong)} missing or not text); {fix}"
        )
    return saved
