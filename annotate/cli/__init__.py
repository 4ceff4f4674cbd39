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
      annotate server                      start the local Label Studio (or set LABEL_STUDIO_URL)
      annotate push seeds/ --project P     documents + rule pre-annotations, idempotent
      (annotators correct them in Label Studio)
      annotate export --project P --out D  human annotations -> Hugging Face DatasetDict
      annotate check D                     re-check the exported gold
      train fit D --out M                  fit the baseline tagger on the export
      train evaluate M D                   span and event scores on the test split
      train predict M seeds/ -o pred.jsonl
                                           the tagger's predictions
      annotate push --predictions pred.jsonl --project P
                                           the next round (or push seeds/ --model M)

    \b
    A team:
      annotate push seeds/ --project P --overlap 2 --overlap-share 30
                                           30% of the tasks to 2 annotators
      annotate status --project P          how many tasks reached their overlap
      annotate agreement --project P       span F1, Krippendorff's alpha, Cohen's kappa
      annotate adjudicate --project P      disputed tasks to a reviewer, settled = ground truth
      annotate loop --project P --every 20
                                           retrain and push a round every 20 annotations

    Run `annotate COMMAND --help` for the options of each command; the whole
    reference is in docs/commands.md and docs/team.md.
    """


def main():
    run(cli, "annotate")


# The commands, registered on `cli` by their modules' decorators (after `cli` exists).
from newsgold.annotate.cli import export, local, studio, team  # noqa: E402,F401
