"""The `annotate` command line: thin commands over the library.

Each command parses options, calls library functions and renders the result. Library errors
(NewsgoldError) become a one-line `Error: ...` on stderr and a non-zero exit code.
"""

from __future__ import annotations

import json

import click

from annotate import __version__
from annotate.errors import NewsgoldError


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NewsgoldError as exc:
            error = click.ClickException(str(exc))
            error.exit_code = exc.exit_code
            raise error from None


schema_option = click.option(
    "--schema",
    "schema_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Schema TOML file. Default: $NEWSGOLD_SCHEMA, else schema/newsgold.toml of this project.",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsgold")
def cli():
    """Build gold training data for event extraction from news.

    Labels ACTOR, LOCATION, COUNT and ACTION spans plus event relations. Typical flow:

    \b
      annotate schema                      check the schema, print the Label Studio config
      annotate documents seeds/ -o d.jsonl read, normalise, id and group documents into stories

    Run `annotate COMMAND --help` for the options of each command.
    """


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
    from annotate.labelstudio import validate_config
    from annotate.schema import dataset_features, guidelines_markdown, labelstudio_config, load_schema

    loaded = load_schema(schema_path)
    config = labelstudio_config(loaded)
    validate_config(config, source=str(loaded.path))
    if fmt == "labelstudio":
        click.echo(config, nl=False)
    elif fmt == "features":
        features = dataset_features(loaded)
        click.echo(json.dumps(features.to_dict(), indent=2))
    elif fmt == "guidelines":
        click.echo(guidelines_markdown(loaded))
    else:
        click.echo(json.dumps({**loaded.to_dict(), "hash": loaded.hash}, indent=2, ensure_ascii=False))
    click.echo(
        f"schema {loaded.name} {loaded.version} is valid; hash {loaded.hash}; "
        f"{len(loaded.labels)} labels, {len(loaded.relations)} relations",
        err=True,
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


def _read_inputs(paths, text_field, skip_bad, story_threshold):
    """Read, normalise and group documents; report skipped items on stderr."""
    from tqdm import tqdm

    from annotate.documents import group_stories, iter_documents

    skipped = []
    documents = list(
        tqdm(
            iter_documents(paths, text_field, skipped.append if skip_bad else None),
            desc="reading",
            unit="doc",
            disable=None,
        )
    )
    for item in skipped:
        click.echo(f"skipped {item.item}: {item.reason}", err=True)
    if not documents:
        raise NewsgoldError(
            "no documents were read from " + ", ".join(map(str, paths)) + "; check the paths"
        )
    return group_stories(documents, story_threshold), skipped


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the documents as JSONL (id, text, source, story_id, meta) to this file.",
)
@_input_options
@click.option(
    "--story-threshold",
    type=click.FloatRange(0, 1),
    default=0.4,
    show_default=True,
    help="TF-IDF cosine at which two documents count as the same story.",
)
def documents(paths, output, text_field, skip_bad, story_threshold):
    """Read PATHS (.txt files, folders of .txt, .jsonl, .csv), normalise and group them.

    Each document gets a content-hash `id` (the same text always gets the same id) and a
    `story_id` shared by reports of the same story. Prints one line per document with its token
    and sentence counts.
    """
    from annotate.jsonl import write_jsonl
    from annotate.tokens import sentence_spans, tokenize

    docs, skipped = _read_inputs(paths, text_field, skip_bad, story_threshold)
    click.echo(f"{'id':16}  {'story_id':22}  {'tokens':>6}  {'sents':>5}  source")
    for doc in docs:
        tokens = tokenize(doc.text)
        sentences = sentence_spans(doc.text, tokens)
        click.echo(f"{doc.id:16}  {doc.story_id:22}  {len(tokens):6}  {len(sentences):5}  {doc.source}")
    stories = len({doc.story_id for doc in docs})
    click.echo(f"{len(docs)} documents in {stories} stories; {len(skipped)} skipped", err=True)
    if output:
        write_jsonl(output, (doc.to_dict() for doc in docs))
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
@_input_options
@click.option(
    "--story-threshold",
    type=click.FloatRange(0, 1),
    default=0.4,
    show_default=True,
    help="TF-IDF cosine at which two documents count as the same story.",
)
def preannotate(paths, output, text_field, skip_bad, story_threshold):
    """Pre-annotate PATHS with the rules: ACTOR, LOCATION, COUNT, ACTION spans and relations.

    PATHS are .txt files, folders of .txt, .jsonl or .csv. Each document keeps its `id` and
    `source` (and `story_id` when given) and gains `spans` (character offsets, label, score),
    `relations` and the rules' `model_version`, which changes whenever the rules change.
    """
    from tqdm import tqdm

    from annotate.jsonl import write_jsonl
    from annotate.preannotate import RuleAnnotator, prediction_record

    docs, _ = _read_inputs(paths, text_field, skip_bad, story_threshold)
    annotator = RuleAnnotator().warm_up()
    records = (
        prediction_record(doc, annotator.annotate(doc.text))
        for doc in tqdm(docs, desc="pre-annotating", unit="doc", disable=None)
    )
    count = write_jsonl(output, records)
    click.echo(f"wrote {count} documents to {output} ({annotator.model_version})", err=True)


@cli.command()
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.argument("predicted", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON instead of a table.")
@schema_option
def score(gold, predicted, as_json, schema_path):
    """Score PREDICTED spans against GOLD spans (both JSONL, matched by document id).

    Prints strict (exact boundaries and label) and partial (overlapping boundaries) precision,
    recall and F1 per label and micro-averaged, computed with nervaluate. A gold document is
    scored only on its `annotated_labels`.
    """
    from dataclasses import asdict

    from annotate.jsonl import read_jsonl
    from annotate.schema import load_schema
    from annotate.scoring import score_documents, scores_table

    labels = list(load_schema(schema_path).label_names)
    report = score_documents(read_jsonl(gold), read_jsonl(predicted), labels)
    if as_json:
        click.echo(json.dumps(report, default=asdict, indent=2))
    else:
        click.echo(scores_table(report))


def main():
    cli(prog_name="annotate")
