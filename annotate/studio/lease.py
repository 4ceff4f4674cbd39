"""Who may train: the lease of `annotate loop`, held in Label Studio, and a lock file per machine.

Loops on several machines share nothing but the Label Studio server, so the lease lives there:
each claim is a Data Manager tab titled `TITLE` in the project, its `data` holding the claim's
`owner` (host, pid and a random part), `expires` (seconds since the epoch on the server's clock,
read from its HTTP `Date`) and `state` (the loop's last round: round number, annotations counted,
model_version). Tabs get increasing ids and no unique key, so the oldest live claim wins, as
`views.ensure_view` keeps the oldest tab and `push.ensure_project` the oldest project:

- to acquire, a loop lists the claims; if a live one exists it waits. Otherwise it creates its own
  claim and lists again: if its claim is the oldest live one it holds the lease (and deletes the
  expired claims, after taking the newest `state` among all of them); else it deletes its claim
  and waits. Any claim created before ours is seen by our second listing, so two loops never
  both win;
- the holder renews its claim (a new `expires`) every `ttl / 4` seconds, also from a thread
  while it trains; a holder whose claim is gone, or expired with a newer claim beside it, has
  lost the lease and stops before pushing anything;
- released (exit, SIGTERM, Ctrl-C), the claim is kept with `expires` 0 as the record of the last
  round, so the next holder, on this machine or another, does not train again on the
  annotations already used. A holder killed with -9 stops renewing: its claim expires after
  `ttl` seconds and the next loop takes over.

On one machine a lock file (`flock`, released by the kernel when the process dies) in the cache
folder keeps two loops of one project from even competing for the lease.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

TITLE = "newsgold loop lease"
KEY = "newsgold_lease"


@dataclass(frozen=True)
class Claim:
    id: int
    owner: str
    expires: float  # server clock, seconds since the epoch; 0: released
    state: dict = field(default_factory=dict)


class Claims(Protocol):
    """Where claims are kept and the clock they are judged by (Label Studio: `ViewClaims`)."""

    def list(self) -> list[Claim]: ...  # oldest (lowest id) first

    def create(self, owner: str, expires: float, state: dict) -> int: ...

    def update(self, claim: int, owner: str, expires: float, state: dict) -> None: ...

    def delete(self, claim: int) -> None: ...

    def now(self) -> float: ...


def newest_state(claims: list[Claim]) -> dict:
    """The state of the latest round any claim records ({} when none does)."""
    states = [c.state for c in claims if isinstance(c.state, dict) and c.state.get("round")]
    return max(states, key=lambda s: (s.get("round", 0), s.get("annotations", 0)), default={})


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Lease:
    """One loop's side of the lease over `claims`. Not thread-safe: one caller at a time."""

    def __init__(self, claims: Claims, owner: str | None = None, ttl: float = 60.0, monotonic=time.monotonic):
        self.claims, self.owner, self.ttl = claims, owner or owner_id(), ttl
        self.monotonic = monotonic
        self.mine: int | None = None
        self.holder: Claim | None = None  # the live claim that keeps us waiting
        self.state: dict = {}  # the newest state found when acquired
        self.valid_until = 0.0  # our own clock: past it, we no longer count on holding it

    @property
    def held(self) -> bool:
        return self.mine is not None and self.monotonic() < self.valid_until

    def acquire(self) -> bool:
        """Take the lease if nobody holds it; True when we hold it (see the module)."""
        if self.mine is not None:
            return self.renew()
        found, now = self.claims.list(), self.claims.now()
        live = [c for c in found if c.expires > now]
        if live:
            self.holder = live[0]
            return False
        started = self.monotonic()
        self.mine = self.claims.create(self.owner, now + self.ttl, newest_state(found))
        found, now = self.claims.list(), self.claims.now()
        live = [c for c in found if c.expires > now or c.id == self.mine]
        if not live or live[0].id != self.mine:  # an older claim came first: it wins
            self.holder = live[0] if live else None
            self.claims.delete(self.mine)
            self.mine = None
            return False
        self.state = newest_state(found)
        for claim in found:  # expired and released claims: their state is carried in ours
            if claim.id != self.mine and claim.expires <= now:
                self.claims.delete(claim.id)
        self.holder, self.valid_until = None, started + self.ttl
        return True

    def renew(self, state: dict | None = None) -> bool:
        """Push our claim's expiry on (and record `state`); False when we lost the lease: our
        claim is gone, or it had expired and another loop has claimed since."""
        if self.mine is None:
            return False
        started = self.monotonic()
        found, now = self.claims.list(), self.claims.now()
        ours = next((c for c in found if c.id == self.mine), None)
        newer = [c for c in found if c.id > self.mine and c.expires > now]
        older = [c for c in found if c.id < self.mine and c.expires > now]
        if ours is None or older or (ours.expires <= now and newer):
            if ours is not None:
                self.claims.delete(self.mine)
            self.holder = (older or newer or [None])[0]
            self.mine, self.valid_until = None, 0.0
            return False
        self.claims.update(self.mine, self.owner, now + self.ttl, ours.state if state is None else state)
        self.valid_until = started + self.ttl
        return True

    def release(self, state: dict | None = None) -> bool:
        """Give the lease up, keeping our claim, expired, as the record of `state`; True when
        there was one to release."""
        if self.mine is None:
            return False
        mine, self.mine, self.valid_until = self.mine, None, 0.0
        self.claims.update(mine, self.owner, 0, state or {})
        return True


class ViewClaims:
    """Claims as Data Manager tabs of a Label Studio project, judged by the server's clock."""

    def __init__(self, ls, project):
        self.ls, self.project = ls, project

    def list(self) -> list[Claim]:
        claims = []
        for view in self.ls.views(self.project):
            data = view["data"]
            body = data.get(KEY)
            if data.get("title") != TITLE or not isinstance(body, dict):
                continue
            try:
                expires = float(body.get("expires") or 0)
            except (TypeError, ValueError):
                expires = 0.0
            claims.append(
                Claim(
                    view["id"],
                    str(body.get("owner")),
                    expires,
                    body.get("state") if isinstance(body.get("state"), dict) else {},
                )
            )
        return claims

    def _data(self, owner: str, expires: float, state: dict) -> dict:
        return {
            "title": TITLE,
            "type": "list",
            "target": "tasks",
            KEY: {"owner": owner, "expires": expires, "state": state},
        }

    def create(self, owner: str, expires: float, state: dict) -> int:
        return self.ls.create_view(self.project, self._data(owner, expires, state))

    def update(self, claim: int, owner: str, expires: float, state: dict) -> None:
        self.ls.update_view(self.project, claim, self._data(owner, expires, state))

    def delete(self, claim: int) -> None:
        self.ls.delete_view(self.project, claim)

    def now(self) -> float:
        server = self.ls.server_time()
        return server.timestamp() if server is not None else time.time()


class LocalLock:
    """An exclusive `flock` on a file: one loop per project on this machine."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        import fcntl

        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None
