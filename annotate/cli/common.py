"""What the commands of `annotate` share: the lazily loaded API and the options several take."""

from __future__ import annotations

import click
from click.core import ParameterSource

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
    "--model",
    type=click.Path(),
    metavar="DIR|starter",
    help="A model folder `train fit` wrote, or `starter` (the tagger newsgold fits on its own starter gold, "
    "built on first use): pre-annotate with the rules and this tagger merged "
    "(its confident spans where the rules found none; the tagger's confidence as the document score).",
)


def _label_map(ctx, param, values) -> dict[str, str]:
    from newsgold.annotate.export.controls import read_label_map

    return read_label_map(values)


label_map_option = click.option(
    "--label-map",
    "label_map",
    multiple=True,
    callback=_label_map,
    metavar="OLD=NEW|FILE",
    help="Rename a label or relation type onto the schema's, e.g. PER=ACTOR, or leave it out with OLD=O "
    "(listed as a problem); repeatable, or a FILE of such OLD=NEW lines.",
)


class FormatChoice(click.Choice):
    """`auto` and the names of the registered input formats (`annotate.formats`), read from the
    registry whenever click asks (a format registered after import is a choice too)."""

    def __init__(self, gold: bool):
        self.gold = gold  # only the gold formats (score); else the Label Studio export too
        super().__init__([], case_sensitive=True)

    @property
    def choices(self):
        from newsgold.annotate import formats

        return ("auto", *formats.names(gold=self.gold))

    @choices.setter
    def choices(self, value) -> None:  # click.Choice sets them; the registry holds them
        pass


class FormatOption(click.Option):
    """The option naming a file's format; its help is derived from the registry when shown."""

    def get_help_record(self, ctx):
        from newsgold.annotate import formats

        self.help = formats.help_text(gold=self.type.gold)
        return super().get_help_record(ctx)


_DEPRECATED = "newsgold.deprecated_format"  # ctx.meta: the value of the old --format, when given


def _old_format(ctx, param, value):
    """`--format` (eager, so read before `--from-format`): noted as deprecated, kept for it."""
    if value is not None:
        click.echo("note: --format is deprecated; use --from-format", err=True)
        ctx.meta[_DEPRECATED] = value


def _from_format(ctx, param, value):
    old = ctx.meta.pop(_DEPRECATED, None)
    if old is None:
        return value
    if ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT and value != old:
        raise click.BadOptionUsage(
            "fmt", f"--from-format {value} and --format {old} name different formats; give --from-format alone"
        )
    return old


def from_format_option(gold: bool):
    """`--from-format`, the format of an input file (`gold`: the gold formats only, for score;
    else the Label Studio JSON export too), with its deprecated spelling `--format`: the same
    value as a note on stderr, a different one given with --from-format an error."""

    def decorate(command):
        command = click.option(
            "--format",
            "old_fmt",
            type=FormatChoice(gold),
            default=None,
            hidden=True,
            is_eager=True,
            expose_value=False,
            callback=_old_format,
        )(command)
        return click.option(
            "--from-format",
            "fmt",
            cls=FormatOption,
            type=FormatChoice(gold),
            default="auto",
            show_default=True,
            callback=_from_format,
        )(command)

    return decorate


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
