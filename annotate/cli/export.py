"""`annotate export`: a Label Studio project or a file of gold to a dataset folder."""

from __future__ import annotations

import click

from newsgold.annotate.cli import cli
from newsgold.annotate.cli.common import (
    _notes,
    api,
    data_dir_option,
    from_format_option,
    label_map_option,
    story_option,
)
from newsgold.annotate.clikit import RATIOS, Bars, InputFile, checked, schema_option


class _ToOption(click.Option):
    """`--to`: its help and default from the writers' registry (`annotate.export.targets`),
    imported only when the help is shown (the export package costs half a second to import)."""

    def get_help_record(self, ctx):
        if not self.help:
            from newsgold.annotate.export.targets import DEFAULT, help_text

            self.help, self.default, self.show_default = help_text(), ",".join(DEFAULT), True
        return super().get_help_record(ctx)


@cli.command()
@click.option("--project", "project", default=None, help="Export this Label Studio project.")
@click.option(
    "--from",
    "from_file",
    type=InputFile(folders=True),
    default=None,
    help="Build the dataset from a file instead: a Label Studio JSON export, or gold from a file or "
    "a BRAT folder, in a format of --from-format.",
)
@from_format_option(gold=False)
@label_map_option
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Dataset folder to write.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--to", "to", cls=_ToOption, default=None, metavar="FORMAT,...")
@click.option(
    "--policy",
    type=click.Choice(["latest", "majority"]),
    default="latest",
    show_default=True,
    help="With several annotators (and no ground truth): the latest annotation, or the "
    "spans more than half of them drew, one vote per annotator (their latest annotation); "
    "spans and relations not kept are listed in problems.jsonl.",
)
@click.option(
    "--seed", type=checked("seed"), default=13, show_default=True, help="Seed of the story-to-split assignment."
)
@click.option(
    "--ratios",
    type=RATIOS,
    default="0.8,0.1,0.1",
    show_default=True,
    help="train,validation,test shares of the stories; they sum to 1, train above 0.",
)
@click.option(
    "--workers",
    type=checked("workers"),
    default=None,
    help="Processes converting a Label Studio export (default: the CPUs available, at most 8; "
    "one for an export under 8 MB). The files written do not depend on it.",
)
@click.option(
    "--config",
    "config",
    type=InputFile(),
    default=None,
    help="The project's labeling config (XML) for a --from Label Studio export; without it, the "
    "labels each control offers are read from the regions.",
)
@story_option
@click.option(
    "--max-story",
    type=checked("max_story"),
    default=None,
    help="Documents without a story id: regroup a story of more documents than this inside it at a "
    "stricter threshold (stops single-link chaining from swallowing the corpus).",
)
@schema_option
@data_dir_option
def export(
    project,
    from_file,
    fmt,
    label_map,
    out,
    force,
    to,
    policy,
    seed,
    ratios,
    workers,
    story_threshold,
    max_story,
    config,
    schema_path,
    data_dir,
):
    """Export human annotations as a Hugging Face DatasetDict (plus parquet, JSONL and a card).

    Predictions never become gold; cancelled annotations are ignored; ground truth wins. Tokens,
    IOB2 ner_tags (ClassLabel), character spans and relations per document; train / validation /
    test split by story_id. Spans that do not align with tokens, overlap, or disagree with the text
    are listed in problems.jsonl and the card. Written atomically; --force replaces.

    A project newsgold did not create is read through its own labeling config (its control
    names, several Labels controls); --label-map renames its labels onto the schema or leaves
    them out (OLD=O). A label outside the schema stops the export with one line; regions that
    cannot be taken are listed as problems; documents are gold only for the labels the config
    offers. A gold file's texts are normalised as `annotate documents` does (NFC, \\n line
    endings, no byte-order mark, trimmed) and its span offsets carried along.
    """
    if bool(project) == bool(from_file):
        raise click.UsageError("give exactly one of --project NAME or --from FILE")
    with Bars() as bars:
        report = api.export_dataset(
            out,
            project=project,
            from_file=from_file,
            force=force,
            policy=policy,
            seed=seed,
            ratios=ratios,
            workers=workers,
            schema=schema_path,
            data_dir=data_dir,
            fmt=fmt,
            label_map=label_map,
            config=config,
            story_threshold=story_threshold,
            max_story=max_story,
            to=to,
            progress=bars,
        )
    _notes(report.notes)
    counts = ", ".join(f"{name} {n}" for name, n in report.split_counts.items())
    click.echo(f"wrote {report.documents} documents to {report.out} ({counts})")
    for reason, n in sorted(report.skipped.items()):
        click.echo(f"  not exported: {n} task(s) with {reason}")
    if report.problem_kinds:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.problem_kinds.items()))
        click.echo(f"  problems listed in {report.out / 'problems.jsonl'}: {kinds}", err=True)
    if policy == "majority":
        not_kept = report.outvoted
        click.echo(
            f"  majority vote (one per annotator, their latest annotation): not kept "
            f"{not_kept['minority']} span(s) drawn by a minority, {not_kept['tie']} tied span(s), "
            f"{not_kept['outvoted-relation']} relation(s); each listed in problems.jsonl with who drew it "
            "and its votes",
            err=True,
        )
    if report.grouped:
        g = report.grouped
        click.echo(
            f"  grouped {g['documents']} document(s) without a story id into {g['stories']} stories; "
            f"the largest holds {g['largest_story']} ({g['largest_story'] / g['documents']:.0%})",
            err=True,
        )
    if report.empty_splits:
        click.echo(f"  empty splits (kept): {', '.join(report.empty_splits)} — too few stories to fill them", err=True)
