"""The commands that work on files alone: schema, documents, preannotate, score, check, re3d."""

from __future__ import annotations

import json

import click

from newsgold.annotate.cli import cli
from newsgold.annotate.cli.common import (
    _input_options,
    _report_skipped,
    api,
    from_format_option,
    label_map_option,
    model_option,
    story_option,
)
from newsgold.annotate.clikit import Bars, InputFile, checked, schema_option


@cli.command()
@schema_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["labelstudio", "features", "guidelines", "json"]),
    default="labelstudio",
    show_default=True,
    help="What to print: the Label Studio labeling config (XML), the Hugging Face dataset "
    "features, the annotator guidelines (Markdown) or the schema as JSON.",
)
def schema(schema_path, fmt):
    """Validate the labeling schema and print what is generated from it.

    The schema is checked for missing keys, unknown labels and repeated hotkeys, and the generated
    labeling config is validated by Label Studio's own parser (offline). The schema hash is
    printed on stderr.
    """
    from newsgold.annotate.schema import load_schema

    loaded = load_schema(schema_path)
    text = api.render_schema(fmt, loaded)
    click.echo(text, nl=fmt != "labelstudio")
    click.echo(
        f"schema {loaded.name} {loaded.version} is valid; hash {loaded.hash}; "
        f"{len(loaded.labels)} labels, {len(loaded.relations)} relations",
        err=True,
    )


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the documents as JSONL (id, text, source, story_id, meta) to this file.",
)
@_input_options
@story_option
def documents(paths, output, text_field, skip_bad, story_threshold):
    """Read PATHS (.txt files, folders of .txt, .jsonl, .csv), normalise and group them.

    Each document gets a content-hash `id` (the same text always gets the same id) and a
    `story_id` shared by reports of the same story. Prints one line per document with its token
    and sentence counts.
    """
    from newsgold.annotate.tokens import sentence_spans, tokenize

    with Bars() as bars:
        read = api.load_documents(
            paths,
            text_field=text_field,
            skip_bad=skip_bad,
            story_threshold=story_threshold,
            output=output,
            progress=bars,
        )
    _report_skipped(read.skipped)
    click.echo(f"{'id':16}  {'story_id':22}  {'tokens':>6}  {'sents':>5}  source")
    for doc in read.documents:
        tokens = tokenize(doc.text)
        sentences = sentence_spans(doc.text, tokens)
        click.echo(f"{doc.id:16}  {doc.story_id:22}  {len(tokens):6}  {len(sentences):5}  {doc.source}")
    click.echo(f"{len(read.documents)} documents in {read.stories} stories; {len(read.skipped)} skipped", err=True)
    if output:
        click.echo(f"wrote {output}", err=True)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="JSONL file to write: each input document with `spans`, `relations`, `model_version`.",
)
@model_option
@_input_options
@story_option
def preannotate(paths, output, model, text_field, skip_bad, story_threshold):
    """Pre-annotate PATHS with the rules: ACTOR, LOCATION, COUNT, ACTION spans and relations.

    PATHS are .txt files, folders of .txt, .jsonl or .csv. Each document keeps its `id` and
    `source` (and `story_id` when given) and gains `spans` (character offsets, label, score),
    `relations`, the rules' `model_version`, which changes whenever the rules change, and a
    document `score` (confidence). With --model DIR the rules and that trained tagger together,
    under `<rules version>+<tagger version>`.
    """
    with Bars() as bars:
        result = api.preannotate_documents(
            paths,
            output,
            model=model,
            text_field=text_field,
            skip_bad=skip_bad,
            story_threshold=story_threshold,
            progress=bars,
        )
    _report_skipped(result.skipped)
    click.echo(f"wrote {result.documents} documents to {output} ({result.model_version})", err=True)


@cli.command()
@click.argument("gold", type=InputFile(folders=True))
@click.argument("predicted", type=InputFile())
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON instead of a table.")
@from_format_option(gold=True)
@label_map_option
@schema_option
def score(gold, predicted, as_json, fmt, label_map, schema_path):
    """Score PREDICTED spans (JSONL) against GOLD spans, matched by document id.

    Prints strict (exact boundaries and label) and partial (overlapping boundaries) precision,
    recall and F1 per label and micro-averaged, computed with nervaluate; then the relations':
    a relation is right when its type and both endpoints match (strict: exact endpoints;
    overlap: endpoints of the same label that overlap), per type and micro; then the events'
    (Ji & Grishman 2008, as TextEE computes them): trigger identification, argument
    identification (the span, attached to a matching trigger) and classification (and the
    role), per role and micro, strict and overlap, and the relations that are no role (counts).
    A gold document is scored only on its `annotated_labels`. GOLD is read as `annotate export
    --from` reads it (any gold format of --from-format; texts normalised, offsets carried); a document without an id is matched by the content hash of its text, as `annotate
    documents` gives it.
    """
    from newsgold.annotate.eventscoring import event_notes, events_table, scored
    from newsgold.annotate.relscoring import relations_table
    from newsgold.annotate.scoring import notes, plain, scores_table

    report = api.score(gold, predicted, schema=schema_path, fmt=fmt, label_map=label_map)
    if as_json:  # the reasons are in the JSON: each figure's `reason`, and `unscored`
        click.echo(json.dumps(plain(report), indent=2))
    else:
        click.echo(scores_table(report))
        if report["relations"]["types"]:
            click.echo("\n" + relations_table(report["relations"]))
        if scored(report["events"]):
            click.echo("\n" + events_table(report["events"]))
        for line in event_notes(report["events"]):
            click.echo(f"note: {line}", err=True)
        for line in notes(report):
            click.echo(f"note: {line}", err=True)
        if report["predictions_without_gold"]:
            click.echo(
                f"note: {report['predictions_without_gold']} predicted document(s) have no gold document (not scored)",
                err=True,
            )
    for item in report["skipped"]:
        click.echo(f"note: not scored: {item['item']}: {item['reason']}", err=True)
    kinds: dict[str, list[dict]] = {}
    for problem in report["gold_problems"]:  # one line per kind: how many, and the first
        kinds.setdefault(problem["kind"], []).append(problem)
    for kind, found in kinds.items():
        first = found[0]
        click.echo(
            f"note: {len(found)} gold {kind} not scored as given (the first, in {first['document']}: "
            f"{first['span'].get('text', first['span'].get('label'))!r}: {first['detail']}); --json lists them",
            err=True,
        )


@cli.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--show",
    "show",
    type=checked("show"),
    default=10,
    show_default=True,
    help="Warnings to print one by one (0: all); the rest are counted.",
)
@schema_option
def check(dataset, show, schema_path):
    """Check an exported dataset before training: label counts, empty documents, misaligned
    spans, relations between missing spans or of unknown types, stories leaking across splits.
    Exits 1 when it finds errors."""
    report = api.check_dataset(dataset, schema_path)
    labels = sorted({label for counts in report.labels.values() for label in counts})
    click.echo(f"{'split':12} {'docs':>6} " + " ".join(f"{l:>9}" for l in labels))
    for name, n in report.splits.items():
        click.echo(f"{name:12} {n:6} " + " ".join(f"{report.labels[name][l]:9}" for l in labels))
    shown = report.warnings if show == 0 else report.warnings[:show]
    for warning in shown:
        click.echo(f"warning: {warning}")
    if len(shown) < len(report.warnings):
        click.echo(f"... and {len(report.warnings) - len(shown)} more warnings (--show 0 prints all)")
    for error in report.errors:
        click.echo(f"error: {error}")
    if not report.ok:
        raise SystemExit(1)
    click.echo(f"{dataset}: no errors")


@cli.command(name="re3d")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Gold JSONL to write.")
def re3d_command(folder, output):
    """Convert the re3d corpus (FOLDER with */documents.json, entities.json) to gold JSONL.

    Person/Organisation → ACTOR, Location → LOCATION, counting Quantity → COUNT; each document is
    gold for ACTOR, LOCATION and COUNT only (re3d has no actions). Build a dataset from it with
    `annotate export --from OUTPUT --out DIR`.
    """
    report = api.convert_re3d(folder, output)
    kept = ", ".join(f"{n} {label}" for label, n in sorted(report.kept.items()))
    click.echo(f"wrote {report.documents} documents to {output}: {kept}")
    for reason, n in sorted(report.dropped.items()):
        click.echo(f"  not kept: {n} × {reason}")
