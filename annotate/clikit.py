"""What the `annotate` and `train` command lines share: the error group, progress bars, the
schema option, the checked number types and `run`. Library errors (NewsgoldError) become a
one-line `Error: ...` on stderr and the error's exit code; Ctrl-C exits 130 and SIGTERM 143, each
with one line, after every `finally` has run.

Every numeric option takes its type from here: `checked(name)` (the bounds `annotate.limits`
states for the API argument `name`) or `RATIOS`. A value that cannot mean anything (nan, inf,
out of range, a word) is refused with one usage line naming the option and what it must be,
before the command starts; tests/hostile/test_options.py fails on a numeric option without one.
"""

from __future__ import annotations

import signal
import sys

import click

from newsgold.annotate import limits
from newsgold.annotate.errors import NewsgoldError

INTERRUPTED = 128 + signal.SIGINT  # 130, what a shell reports for a command ended by Ctrl-C


class NewsgoldGroup(click.Group):
    """A click group that turns NewsgoldError into a one-line message and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NewsgoldError as exc:
            error = click.ClickException(str(exc))
            error.exit_code = exc.exit_code
            raise error from None
        except KeyboardInterrupt:  # every `finally` inside has run: temporary output is gone
            # a terminal has echoed ^C on the line: start a new one
            click.echo(
                ("\n" if _is_terminal(sys.stderr) else "") + "Interrupted: stopped; no partial output left", err=True
            )
            raise SystemExit(INTERRUPTED) from None


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Checked(click.ParamType):
    """A number option checked against `annotate.limits.LIMITS[name]`, the bounds the API
    argument of that name has too."""

    def __init__(self, name: str):
        self.limit = name
        self.bound = limits.LIMITS[name]
        self.name = "integer" if self.bound.kind is int else "float"

    def get_metavar(self, param, ctx) -> str:
        return ("INTEGER" if self.bound.kind is int else "FLOAT") + " " + self.bound.interval()

    def convert(self, value, param, ctx):
        why, number = limits.read(self.limit, value)
        if why:
            self.fail(why, param, ctx)
        return number

    def __repr__(self) -> str:
        return f"Checked({self.limit!r})"


def checked(name: str) -> Checked:
    """The click type of a numeric option whose API argument is `name` (see annotate.limits)."""
    return Checked(name)


class Ratios(click.ParamType):
    """The export's split ratios, "train,validation,test" (`annotate.limits.check_ratios`)."""

    name = "ratios"

    def get_metavar(self, param, ctx) -> str:
        return "TRAIN,VALIDATION,TEST"

    def convert(self, value, param, ctx):
        why, ratios = limits.ratios_problem(value)
        if why:
            self.fail(why, param, ctx)
        return ratios


RATIOS = Ratios()


def _terminated(signum, frame):
    signal.signal(signum, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    click.echo("Terminated: stopping and removing partial output", err=True)
    raise SystemExit(128 + signum)


def run(group: click.Group, prog_name: str) -> None:
    """Run a command line. SIGTERM (kill, a job scheduler, a container stop) raises
    SystemExit(143) like Ctrl-C raises KeyboardInterrupt (which NewsgoldGroup turns into exit
    130), so every `finally` runs: temporary folders, worker spools and downloads are removed
    and no partial output is left. Each says so in one line on stderr."""
    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, _terminated)
    group(prog_name=prog_name)


class lazy_module:
    """A module imported on first use: a command line that imports its library lazily starts
    fast, and a Ctrl-C while the library loads reaches NewsgoldGroup (exit 130, one line)
    instead of ending the import in a traceback."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        import importlib

        return getattr(importlib.import_module(self._name), attribute)


class Bars:
    """A `progress(stage, advance, total)` callback (see `annotate.progress`) drawing one tqdm
    bar per stage on stderr (none when stderr is not a terminal); use it as a context manager."""

    def __init__(self):
        self.bars: dict = {}

    def __call__(self, stage: str, advance: int, total: int | None = None) -> None:
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            for other in self.bars.values():
                other.close()
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit="doc", disable=None)
        bar.update(advance)

    def __enter__(self) -> "Bars":
        return self

    def __exit__(self, *exc) -> None:
        for bar in self.bars.values():
            bar.close()


class InputFile(click.Path):
    """An existing regular file every command reads (`--from`, `--config`, `--predictions`, GOLD,
    PREDICTED, `--schema`): a folder, a named pipe or a device is refused before any work
    (`jsonl.check_regular`: reading a pipe or /dev/zero would never end)."""

    def __init__(self, exists: bool = True, folders: bool = False):  # folders: a BRAT collection
        super().__init__(exists=exists, dir_okay=folders)

    def convert(self, value, param, ctx):
        from newsgold.annotate.errors import DocumentError
        from newsgold.annotate.outputs import check_regular

        value = super().convert(value, param, ctx)
        try:
            check_regular(value)
        except DocumentError as exc:
            self.fail(str(exc), param, ctx)
        return value


schema_option = click.option(
    "--schema",
    "schema_path",
    type=InputFile(exists=False),
    default=None,
    help="Schema TOML file. Default: $NEWSGOLD_SCHEMA, else the schema shipped with newsgold "
    "(schema/newsgold.toml of the repository).",
)
