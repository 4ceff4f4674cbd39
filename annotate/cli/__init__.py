"""The `annotate` command line: thin commands over the library.

Each command parses options, calls one function of the Python API (`annotate.api`) and prints
its result. Library errors (NewsgoldError) become a one-line `Error: ...` on stderr and a
non-zero exit code.
"""

from __future__ import annotations

import click

from newsgold.annotate import __version__
from newsgold.annotate.clikit import NewsgoldGroup, run


@click.group(cls=NewsgoldGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsgold")
def cli():
    """Build gold training data for event extraction from news.

    Labels ACTOR, LOCATION, COUNT and ACTION spans plus event relations. Typical flow:

    \b
      annotate schema                      check the schema, print the Label Studio config
      annotate documents seeds/ -o d.jsonl read, normalise, id and group documents into stories

    Run `annotate COMMAND --help` for the options of each command.
    """


def main():
    run(cli, "annotate")


# The commands, registered on `cli` by their modules' decorators (after `cli` exists).
from newsgold.annotate.cli import export, local, studio  # noqa: E402,F401
