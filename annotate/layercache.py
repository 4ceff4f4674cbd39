"""The language layer's disk cache: analyses by text hash, one SQLite file per pipeline identity
and layer format (`annotate.language` names the file). Every failure turns the cache off, never
the run: a damaged file is moved aside with its journal, an unwritable folder leaves the run
uncached, and two runs share one file (SQLite's WAL journal, a generous busy timeout)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path


def cache_dir() -> Path:
    """Where analyses are cached: `NEWSGOLD_CACHE`, else `$XDG_CACHE_HOME/newsgold`, else
    `~/.cache/newsgold`."""
    if os.environ.get("NEWSGOLD_CACHE"):
        return Path(os.environ["NEWSGOLD_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsgold"


def source_digest(seed: str, paths) -> str:
    """SHA-256 (hex) of `seed` and the name and bytes of each file in `paths`, in order: what a
    version or a cache key says of the code and word lists that decide a result."""
    digest = hashlib.sha256(seed.encode())
    for path in paths:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Cache:
    """Analyses by text key in one SQLite file; every failure turns the cache off, never the run."""

    def __init__(self, path: Path):
        self.path, self.db = path, None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not self._healthy():
                self._set_aside()
            self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS analyses (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
        except (sqlite3.Error, OSError):
            self._set_aside()

    def _healthy(self) -> bool:
        """Whether the file is absent, empty or starts as an SQLite database does."""
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(16)
        except FileNotFoundError:
            return True
        return not head or head == b"SQLite format 3\x00"

    def _set_aside(self) -> None:
        """A damaged file is moved aside with its journal (a later run starts a new one); this run
        goes on uncached."""
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                pass
        self.db = None
        try:
            if self.path.is_file() and not self._healthy():
                self.path.replace(self.path.with_suffix(".damaged"))
                for journal in ("-wal", "-shm"):
                    Path(f"{self.path}{journal}").unlink(missing_ok=True)
        except OSError:
            pass

    def get(self, keys: list[str]) -> dict[str, bytes]:
        if self.db is None:
            return {}
        found: dict[str, bytes] = {}
        try:
            for first in range(0, len(keys), 500):
                part = keys[first : first + 500]
                rows = self.db.execute(
                    f"SELECT key, data FROM analyses WHERE key IN ({','.join('?' * len(part))})", part
                )
                found.update(rows)
        except sqlite3.Error:
            self._set_aside()
        return found

    def put(self, rows: list[tuple[str, bytes]]) -> None:
        if self.db is None or not rows:
            return
        try:
            self.db.executemany("INSERT OR IGNORE INTO analyses VALUES (?, ?)", rows)
        except sqlite3.Error:
            self._set_aside()
