"""What the `annotate` and `train` command lines share: the error group, progress bars, the
schema option and `run`. Library errors (NewsgoldError) become a one-line `Error: ...` on stderr
and the error's exit code."""

from __future__ import annotations

import signal
import sys

import click

from newsgold.annotate.errors import NewsgoldError


class NewsgoldGroup(click.Group):
    """A click group that turns NewsgoldError into a one-line message and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NewsgoldError as exc:
            error = click.ClickException(str(exc))
            error.exit_code = exc.exit_code
            raise error from None


def _terminated(signum, frame):
    signal.signal(signum, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    click.echo("Terminated: stopping and removing partial output", err=True)
    raise SystemExit(128 + signum)


def run(group: click.Group, prog_name: str) -> None:
    """Run a command line. SIGTERM (kill, a job scheduler, a container stop) raises SystemExit
    like Ctrl-C raises KeyboardInterrupt, so every `finally` runs: temporary folders, worker
    spools and downloads are removed and no partial output is left."""
    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, _terminated)
    group(prog_name=prog_name)


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


schema_option = click.option(
    "--schema",
    "schema_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Schema TOML file. Default: $NEWSGOLD_SCHEMA, else the schema shipped with newsgold "
    "(schema/newsgold.toml of the repository).",
)
