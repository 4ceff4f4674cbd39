"""The state of `annotate loop` and its folder (`--work`): the last round, written atomically to
`state.json` with the project it belongs to, and refused when it is not one the loop wrote for
this project (corrupt, forged, another project's); the folder checked before the loop starts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from newsgold.annotate.errors import NewsgoldError

STATE_FILE, LOG_FILE, WORK_LOCK = "state.json", "loop.jsonl", ".newsgold-loop.lock"


@dataclass(frozen=True)
class LoopState:
    round: int = 0
    annotations: int = 0  # submitted annotations counted when the last round started
    model_version: str | None = None
    dev: dict | None = None

    @classmethod
    def of(cls, data: dict | None) -> "LoopState":
        data = data if isinstance(data, dict) else {}
        try:
            return cls(
                int(data.get("round") or 0),
                int(data.get("annotations") or 0),
                data.get("model_version"),
                data.get("dev") if isinstance(data.get("dev"), dict) else None,
            )
        except (TypeError, ValueError):
            return cls()

    def newer(self, other: "LoopState") -> "LoopState":
        return max(self, other, key=lambda s: (s.round, s.annotations))


def due(count: int, state: LoopState, every: int) -> bool:
    """Whether `count` submitted annotations hold `every` new ones since the last round (after
    deletions, `Loop.run` lowers the state's count to what is left, so N new ones count from there)."""
    return count - state.annotations >= every


class LoopStateError(NewsgoldError):
    """The loop's folder cannot be used, or holds a state this loop did not write for this project."""


STATE_FIX = "delete it (the project's lease in Label Studio keeps the last round) or give another --work"


def _state_problem(data, project: str | None) -> str | None:
    """What makes `data` no state `write_state` wrote for `project` (None: nothing)."""
    if not isinstance(data, dict):
        return f"holds a JSON {type(data).__name__}, not the loop's state object"
    for key in ("round", "annotations"):
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"its {key!r} is {value!r}, not a count (a whole number, 0 or more)"
    for key, kinds, what in (
        ("model_version", (str, type(None)), "a text"),
        ("dev", (dict, type(None)), "an object"),
        ("project", (str, type(None)), "a project title"),
    ):
        if not isinstance(data.get(key), kinds):
            return f"its {key!r} is {data.get(key)!r}, not {what} or null"
    owner = data.get("project")  # absent in a state written before the project was recorded
    if project is not None and owner is not None and owner != project:
        return f"is the state of the loop of project {owner!r}, not of {project!r}"
    return None


def read_state(folder: Path, project: str | None = None) -> LoopState:
    """The state in `folder` (none yet: round 0); a file that is not one `write_state` wrote for
    `project` is refused (LoopStateError) rather than trusted or silently forgotten."""
    path = Path(folder) / STATE_FILE
    if not path.exists() and not path.is_symlink():
        return LoopState()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise LoopStateError(f"{path}: not a state `annotate loop` wrote ({cause}); {STATE_FIX}") from None
    problem = _state_problem(data, project)
    if problem:
        raise LoopStateError(f"{path}: {problem}; {STATE_FIX}")
    return LoopState.of(data)


def write_state(folder: Path, state: LoopState, project: str | None = None) -> None:
    from newsgold.annotate.outputs import atomic_file

    with atomic_file(folder / STATE_FILE) as out:
        out.write(
            json.dumps({**({"project": project} if project is not None else {}), **asdict(state)}, indent=2) + "\n"
        )


def prepare_work(folder: Path, project: str):
    """Make `folder` the loop's folder, checked before the loop starts: it exists or can be made,
    a file can be written in it, no other loop uses it (a `LocalLock` on `WORK_LOCK`, whatever
    that loop's project: two would overwrite each other's export and model), its state
    (`read_state`), its log can be appended to. (state, the held folder lock)."""
    import os
    import tempfile

    from newsgold.annotate.studio.lease import LocalLock

    fix = "give a folder you can write to as --work"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".newsgold-loop-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise LoopStateError(
            f"--work {folder}: cannot be the loop's folder ({exc.strerror or type(exc).__name__}); {fix}"
        ) from None
    read_state(folder, project)  # a state to refuse is refused before anything is written in the folder
    try:
        with open(folder / LOG_FILE, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise LoopStateError(
            f"{folder / LOG_FILE}: the loop's log cannot be appended to "
            f"({exc.strerror or type(exc).__name__}); remove it or {fix}"
        ) from None
    lock = LocalLock(folder / WORK_LOCK)
    if not lock.acquire():
        holder = (folder / WORK_LOCK).read_text(errors="replace").strip() or "?"
        raise LoopStateError(
            f"--work {folder}: another loop uses this folder (process {holder} on this machine); "
            "give each loop its own --work"
        )
    try:
        return read_state(folder, project), lock  # again, now that no other loop can write it
    except BaseException:
        lock.release()
        raise
