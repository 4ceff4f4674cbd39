"""The one way newsgold writes an output, a file or a folder (issue 20, class 1).

Every command that writes goes through here, from its API function (which knows its inputs):

- `check_file(out, inputs)` / `check_folder(out, kind, inputs)`, called before any work, refuse an
  output that is one of the inputs (the same real path or the same inode: symbolic and hard links
  too), lies inside a folder being read, or (a folder) holds an input; and a folder that newsgold
  may not replace (below). One OutputError line names the output, the input and the fix.
- `atomic_file(out, inputs=...)` writes a file: a temporary sibling renamed over `out` when the
  block ends; `output_folder(out, kind, inputs=...)` builds a folder: a temporary sibling holding
  the kind's marker file, swapped in for `out` at the end. On any failure (a full disk, a folder
  that cannot be written, Ctrl-C, SIGTERM, which `clikit.run` turns into SystemExit) the temporary
  is removed and `out` is left byte-identical; an OSError becomes one OutputError line.

A folder is replaced only when newsgold wrote it as that `FolderKind`: every entry is a name the
kind writes (a sub-folder of a kind it holds, e.g. a model's `eval-test/`, judged the same way),
and it holds the kind's marker, or, written by an older newsgold before the marker, the kind's
`legacy` files. An empty folder may always be used. Anything else is refused, naming the first
foreign entries.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path
from typing import IO, Iterable, Iterator

from newsgold.annotate.errors import DocumentError, NewsgoldError

Inputs = Iterable["str | Path | None"]


class OutputError(NewsgoldError):
    """An output would destroy an input or a file newsgold did not write, or could not be written."""


@dataclass(frozen=True)
class FolderKind:
    """A kind of folder newsgold writes: its marker, the names it writes, how to know one written
    before the marker (`legacy`: all of these present), and the sub-folder kinds it may hold."""

    what: str  # "a model folder `train fit` wrote"
    marker: str  # the marker file, e.g. ".newsgold-model"
    written: frozenset[str]
    legacy: frozenset[str]
    subfolders: tuple[tuple[str, "FolderKind"], ...] = ()  # (fnmatch pattern, kind)
    force: bool = False  # replacing an existing folder of this kind needs `force` (`annotate export`)
    error: type[NewsgoldError] = OutputError
    fix: str = field(default="")

    def refusal(self) -> str:
        return self.fix or f"newsgold replaces only {self.what}: move those files or choose another output"


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(path))


def check_regular(path: str | Path) -> Path:
    """`path` when it is not a FIFO, a device or a socket (reading one waits forever or never
    ends: /dev/zero, a named pipe nobody writes to); else a DocumentError naming it. A missing
    path is left to the reader's own message."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except OSError:
        return path
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise DocumentError(
            f"{path}: not a regular file (a named pipe, a device or a socket), which newsgold "
            "would wait on forever; save the input to a file and give that"
        )
    return path


def check_inputs(
    out: str | Path, inputs: Inputs, *, folder: bool = False, error: type[NewsgoldError] = OutputError
) -> None:
    """Refuse `out` when it is one of `inputs` (same real path or inode), lies inside an input
    folder, or (`folder`) is a folder that holds an input. Inputs that do not exist are left to
    their readers."""
    out = Path(out)
    real, here = _real(out), _stat(out)
    # the real folders `out` lies in, by path and by inode (a bind mount, a hard-linked name)
    above = {(s.st_dev, s.st_ino) for s in map(_stat, real.parents) if s is not None}
    for given in inputs:
        if given is None:
            continue
        found = _stat(given)
        if found is None:
            continue
        check_regular(given)  # a pipe or a device as an input would never finish reading
        source = _real(given)
        if source == real or (here is not None and os.path.samestat(found, here)):
            how = "" if os.path.abspath(given) == os.path.abspath(out) else " (the same file through a link)"
            raise error(
                f"{out} is the input {given}{how}: writing it would replace what is being read; choose another output"
            )
        if stat.S_ISDIR(found.st_mode) and (real.is_relative_to(source) or (found.st_dev, found.st_ino) in above):
            raise error(f"{out} lies inside the folder {given}, which is being read; choose an output outside it")
        if folder and source.is_relative_to(real):
            raise error(
                f"{out} holds the input {given}: replacing the folder would delete it; "
                "choose another output, or move the input out of it"
            )


def check_file(out: str | Path, inputs: Inputs = ()) -> Path:
    """`out` as a file output: not an input (`check_inputs`), not a folder."""
    out = Path(out)
    check_inputs(out, inputs)
    if out.is_dir():
        raise OutputError(f"{out} is a folder; name a file to write")
    return out


def foreign_entries(out: Path, kind: FolderKind) -> list[str]:
    """The entries of the folder `out` newsgold did not write as `kind` (paths relative to it)."""
    strange = []
    for entry in sorted(os.scandir(out), key=lambda e: e.name):
        name = entry.name
        if name in kind.written:
            continue
        sub = next((k for pattern, k in kind.subfolders if fnmatch(name, pattern)), None)
        if sub is not None and entry.is_dir(follow_symlinks=False):
            inner = Path(entry.path)
            if not any(inner.iterdir()):
                continue
            names = {e.name for e in os.scandir(inner)}
            if sub.marker in names or sub.legacy <= names:
                strange += [f"{name}/{e}" for e in foreign_entries(inner, sub)]
                continue
        strange.append(name)
    return strange


def replaceable(out: Path, kind: FolderKind) -> str | None:
    """Why the existing `out` may not be replaced by a folder of `kind`, or None when newsgold
    wrote it as that kind (or it is an empty folder)."""
    if out.is_symlink() or not out.is_dir():
        return f"{out} is {'a symbolic link' if out.is_symlink() else 'not a folder'}"
    names = sorted(entry.name for entry in os.scandir(out))
    if not names:
        return None
    other = [name for name in names if name.startswith(".newsgold-") and name != kind.marker]
    if other:
        return f"{out} holds another kind of newsgold output ({other[0]})"
    foreign = foreign_entries(out, kind)
    if foreign:
        return f"{out} holds files newsgold did not write ({_shown(foreign)})"
    if kind.marker not in names and not kind.legacy <= set(names):
        return f"{out} is not {kind.what} (no {kind.marker} marker; it holds {_shown(names)})"
    return None


def _shown(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _empty_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())


def check_folder(out: str | Path, kind: FolderKind, inputs: Inputs = (), force: bool = False) -> Path:
    """`out` as a folder output of `kind`: not holding or inside an input (`check_inputs`), and
    absent, empty, or a folder newsgold wrote as `kind` (with `force` where the kind needs it)."""
    out = Path(out)
    check_inputs(out, inputs, folder=True, error=kind.error)
    if not (out.exists() or out.is_symlink()) or _empty_folder(out):
        if Path(os.path.abspath(out)).name == "":
            raise kind.error(f"{out} is the root folder; choose a folder of its own as output")
        return out
    if kind.force and not force:
        raise kind.error(f"{out} already exists; pass --force to replace it, or choose another --out")
    refused = replaceable(out, kind)
    if refused:
        raise kind.error(f"{refused}; {kind.refusal()}")
    return out


_FIX = {
    errno.ENOSPC: "free disk space",
    errno.EDQUOT: "free disk space",
    errno.EROFS: "choose a writable folder",
    errno.EACCES: "choose a folder you may write",
    errno.EPERM: "choose a folder you may write",
}


@lru_cache(maxsize=None)
def _failure(error: type[NewsgoldError]) -> type[NewsgoldError]:
    """`error` that is also an OSError: a caller that copes with a failed write (the push ledger)
    still catches it, and the CLI still prints it as one line."""
    return type(error.__name__, (error, OSError), {"__module__": error.__module__})


def _failed(out: Path, exc: OSError, error: type[NewsgoldError] = OutputError) -> NewsgoldError:
    ours = exc.filename and any(
        part.startswith(f".{Path(os.path.abspath(out)).name}.") for part in Path(exc.filename).parts
    )
    where = f" ({exc.filename})" if exc.filename and not ours else ""  # not our temporary's name
    cause = exc.strerror or str(exc) or type(exc).__name__
    failed = _failure(error)(
        f"{out}: could not be written ({cause}{where}); it is left as it was and nothing "
        f"partial remains; {_FIX.get(exc.errno, 'fix the cause')} and run again, or choose "
        "another output"
    )
    failed.errno = exc.errno
    return failed


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_file(path: str | Path, mode: str = "w", *, inputs: Inputs = ()) -> Iterator[IO]:
    """A file to write whose content replaces `path` only when the block ends without error.

    `path` is checked first (`check_file`); the file is a temporary sibling (beside the file a
    symbolic link `path` points at), flushed to disk and renamed over it at the end. On any error
    it is removed and `path` is left as it was; an OSError becomes one OutputError line. A file
    replaced keeps its permissions; a new one gets those `open` would give it."""
    path = check_file(path, inputs)
    target = _real(path) if path.is_symlink() else path
    old = _stat(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _failed(path, exc) from None
    try:
        os.fchmod(fd, stat.S_IMODE(old.st_mode) if old is not None else _default_mode())
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, NewsgoldError):
            raise _failed(path, exc) from None
        raise


@contextmanager
def output_folder(out: str | Path, kind: FolderKind, *, inputs: Inputs = (), force: bool = False) -> Iterator[Path]:
    """A temporary folder to fill; when the block ends without error it gets the kind's marker
    and replaces `out` (checked first by `check_folder`, and again just before, in case someone
    wrote `out` meanwhile). On any error it is removed and `out` is left as it was."""
    out = check_folder(out, kind, inputs, force)
    place = Path(os.path.abspath(out))
    try:
        place.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{place.name}.tmp-", dir=place.parent))
    except OSError as exc:
        raise _failed(out, exc, kind.error) from None
    try:
        yield tmp
        (tmp / kind.marker).write_text(f"written by newsgold: {kind.what}; newsgold may replace this folder\n")
        check_folder(out, kind, (), force)
        _swap(tmp, place)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, NewsgoldError):
            raise _failed(out, exc, kind.error) from None
        raise


def _swap(tmp: Path, out: Path) -> None:
    """`tmp` in place of `out`: renamed over an absent or empty `out` at once; an existing one is
    first moved aside (restored if the second rename fails), then removed."""
    if not out.exists() or _empty_folder(out):
        os.replace(tmp, out)
        return
    trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    moved = False
    try:
        os.replace(out, trash / out.name)
        moved = True
        os.replace(tmp, out)
    except BaseException:
        if moved:
            os.replace(trash / out.name, out)
        shutil.rmtree(trash, ignore_errors=True)
        raise
    shutil.rmtree(trash, ignore_errors=True)
