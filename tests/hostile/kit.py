"""What the hostile matrix (tests/hostile/, issue 20) shares: run a command as a user would and
assert the outcome a careless user is owed.

- `invoke("annotate export --from F --out D")`: the command through click's runner (argv split as a
  shell does), its output and exit code;
- `assert_refused(result, *names)`: a non-zero exit, exactly one `Error` line naming every one of
  `names` (the item, the field), no traceback;
- `assert_ok(result)`: exit 0, no traceback;
- `digests(*paths)`: the SHA-256 of every file under `paths`, to compare before and after a refused
  or failed run (nothing replaced, nothing half-written, nothing left behind).
"""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

from click.testing import CliRunner, Result

from newsgold.annotate.cli import cli as annotate_cli
from newsgold.train.cli import cli as train_cli

CLIS = {"annotate": annotate_cli, "train": train_cli}
ROOT = Path(__file__).resolve().parents[2]


def invoke(argv: str | list[str], **kwargs) -> Result:
    words = shlex.split(argv) if isinstance(argv, str) else [str(word) for word in argv]
    return CliRunner().invoke(CLIS[words[0]], words[1:], **kwargs)


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{result.exception!r} escaped: {result.output}"
    )


def assert_refused(result: Result, *names: str) -> str:
    """The one error line of a refused run (it must name each of `names`)."""
    _no_traceback(result)
    assert result.exit_code != 0, f"exit 0 where a refusal was due: {result.output}"
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, f"expected exactly one Error line: {result.output}"
    for name in names:
        assert name in errors[0], f"the error does not name {name!r}: {errors[0]}"
    return errors[0]


def assert_ok(result: Result) -> Result:
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    return result


def digests(*paths: str | Path) -> dict[str, str]:
    """Path -> SHA-256 of every file under `paths` (a file or a folder, recursively); a folder
    that holds nothing is recorded as such, so a vanished or newly created entry shows."""
    found: dict[str, str] = {}
    for path in map(Path, paths):
        if path.is_file():
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            entries = sorted(path.rglob("*"))
            found[str(path)] = "folder" if entries else "empty folder"
            for entry in entries:
                found[str(entry)] = hashlib.sha256(entry.read_bytes()).hexdigest() if entry.is_file() else "folder"
    return found


def seed_model(folder: Path) -> Path:
    """`folder` holding `dataset` (exported from the seed gold) and `model` (fitted on it), for
    the commands that need a real dataset or model."""
    assert_ok(
        invoke(["annotate", "export", "--from", ROOT / "seeds" / "gold" / "seeds.jsonl", "--out", folder / "dataset"])
    )
    assert_ok(invoke(["train", "fit", folder / "dataset", "--out", folder / "model"]))
    return folder
