"""The `train` command line: the baseline sequence tagger (fit, evaluate, predict, curve)."""

from __future__ import annotations

import click

from annotate import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsgold")
def cli():
    """Train and evaluate the baseline tagger on a dataset exported by `annotate export`.

    The commands (fit, evaluate, predict, curve) arrive with the tagger; see the README for
    what is available in this version.
    """


def main():
    cli(prog_name="train")
