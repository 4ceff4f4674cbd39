"""What the commands of `annotate` share: the lazily loaded API and the options several take."""

from __future__ import annotations

import click

from newsgold.annotate.clikit import checked, lazy_module
from newsgold.annotate.documents import STORY_THRESHOLD

api = lazy_module("newsgold.annotate.api")  # loaded by the command that uses it, so Ctrl-C then is exit 130


story_option = click.option(
    "--story-threshold",
    type=checked("story_threshold"),
    default=STORY_THRESHOLD,
    show_default=True,
    help="TF-IDF cosine at which two documents count as the same story.",
)


def _input_options(command):
    command = click.option(
        "--skip-bad",
        is_flag=True,
        help="Skip unreadable or empty items and report them, instead of stopping at the first.",
    )(command)
    command = click.option(
        "--text-field",
        default="text",
        show_default=True,
        help="Field (JSONL) or column (CSV) that holds the article text.",
    )(command)
    return command


def _report_skipped(skipped) -> None:
    for item in skipped:
        click.echo(f"skipped {item.item}: {item.reason}", err=True)


model_option = click.option(
    "--model", type=click.Path(), metavar="DIR|starter",
    help="A model folder `train fit` wrote, or `starter` (the tagger newsgold fits on its own starter gold, "
    "built on first use): pre-annotate with the rules and this tagger merged "
    "(its confident spans where the rules found none; the tagger's confidence as the document score).")


def _label_map(ctx, param, values) -> dict[str, str]:
    from newsgold.annotate.export.controls import read_label_map

    return read_label_map(values)


label_map_option = click.option(
    "--label-map", "label_map", multiple=True, callback=_label_map, metavar="OLD=NEW|FILE",
    help="Rename a label or relation type onto the schema's, e.g. PER=ACTOR, or leave it out with OLD=O "
    "(listed as a problem); repeatable, or a FILE of such OLD=NEW lines.")


GOLD_FORMATS = ["auto", "gold", "doccano", "spacy", "prodigy", "conll", "brat"]


def gold_format_option(choices: list[str]):
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default="auto", show_default=True,
        help="Format of the file: detected from its content (auto), or newsgold gold JSONL, doccano JSONL, "
        "spaCy/Prodigy JSONL (spacy = prodigy), CoNLL-2003/IOB token-per-line, BRAT standoff (a folder of "
        ".txt + .ann, or one .ann; auto for a folder or .ann)"
        + (", a Label Studio JSON export." if "labelstudio" in choices else "."))


# ---------------------------------------------------------------------- Label Studio loop
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder of the local Label Studio (SQLite, media, credentials). "
    "Default: $NEWSGOLD_LS_DIR, else .labelstudio in the current folder.",
)


project_option = click.option("--project", "project", required=True, help="Label Studio project title.")


def _notes(notes) -> None:
    for note in notes:
        click.echo(f"note: {note}", err=True)
