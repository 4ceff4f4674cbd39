"""The local server's process as its state file records it: the pid, its start time and command
line, checked against the running process so that a pid reused by another program is never taken
for ours (nor signalled); its process group."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from newsgold.annotate.studio.private import STATE_FILE


def _state(folder: Path) -> dict | None:
    path = folder / STATE_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except RecursionError:  # not a state file newsgold wrote: read as stale (`_checked_state`)
        raise ValueError(f"{path}: nested too deep") from None


def _identity(pid: int) -> dict | None:
    """The start time and command line of process `pid`, None when none (or only a zombie) runs.
    Linux: /proc/PID/stat field 22 (clock ticks after boot) and /proc/PID/cmdline; elsewhere `ps`."""
    if Path("/proc/self/stat").exists():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return None
        if fields[0] in ("Z", "X"):  # exited, not yet reaped
            return None
        return {"started": fields[19], "cmdline": cmdline.decode(errors="replace").split("\0")[:-1]}
    found = subprocess.run(
        ["ps", "-p", str(pid), "-o", "stat=", "-o", "lstart=", "-o", "args="], capture_output=True, text=True
    )
    if found.returncode != 0 or not found.stdout.strip() or found.stdout.split()[0].startswith("Z"):
        return None
    words = found.stdout.split()
    return {"started": " ".join(words[1:6]), "cmdline": words[6:]}


def _ours(state: dict) -> bool:
    """True when the process the state file names is still the Label Studio this folder started:
    same start time and, once recorded, the same command line (a pid can be reused)."""
    now = _identity(state["pid"])
    if now is None:
        return False
    if "started" not in state:  # a state file of an older newsgold: at least a label-studio start
        return any(Path(word).name == "label-studio" for word in now["cmdline"]) and "start" in now["cmdline"]
    return now["started"] == state["started"] and now["cmdline"] == state.get("cmdline", now["cmdline"])


def _alive(pid: int) -> bool:
    return _identity(pid) is not None


def _checked_state(folder: Path) -> tuple[dict | None, tuple[str, ...]]:
    """The state of the server this folder started, or None; a state file naming a process that is
    gone or is another program is removed, with a note when it named a live process."""
    try:
        state = _state(folder)
    except (OSError, ValueError):
        state = {}
    if state is None:
        return None, ()
    if isinstance(state, dict) and isinstance(state.get("pid"), int) and _ours(state):
        return state, ()
    (folder / STATE_FILE).unlink(missing_ok=True)
    pid = state.get("pid") if isinstance(state, dict) else None
    if isinstance(pid, int) and _alive(pid):
        return None, (
            f"{folder / STATE_FILE} named pid {pid}, which is now another program "
            "(start time or command line differ): left it alone and removed the stale state file",
        )
    return None, ()


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group `pgid` remains (a zombie leader is reaped by `stop`)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of the group runs under another user
        pass
    return True
