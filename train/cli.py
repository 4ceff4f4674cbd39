"""The `train` command line: the baseline sequence tagger (fit, evaluate, predict, curve), a thin
layer over the Python API (`train.api`)."""

from __future__ import annotations

from pathlib import Path

import click

from newsgold.annotate import __version__
from newsgold.annotate.clikit import Bars, NewsgoldGroup, checked, run
from newsgold.train import FEATURES as KINDS
from newsgold.train import api


@click.group(cls=NewsgoldGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsgold")
def cli():
    """Train and evaluate the baseline tagger on a dataset exported by `annotate export`.

    \b
      train fit exports/re3d --out exports/model      learn from the train split
      train evaluate exports/model exports/re3d       strict and partial P/R/F1, report + plots
      train predict exports/model seeds/ -o p.jsonl   spans for `annotate push --predictions`
      train curve exports/re3d --out exports/curve    F1 against the number of training documents
    """


@cli.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Model folder to write.")
@click.option("--c1", type=checked("c1"), default=0.1, show_default=True, help="L1 regularisation of the CRF.")
@click.option("--c2", type=checked("c2"), default=0.1, show_default=True, help="L2 regularisation of the CRF.")
@click.option(
    "--unlabelled",
    multiple=True,
    type=click.Path(exists=True),
    help="Raw documents (.txt, folders, JSONL, CSV; repeatable) the word clusters also learn from.",
)
@click.option("--text-field", default="text", show_default=True, help="Text field of --unlabelled JSONL/CSV.")
@click.option("--skip-bad", is_flag=True, help="Skip unreadable or empty --unlabelled items and report them.")
@click.option(
    "--features",
    type=click.Choice(KINDS),
    default=KINDS[0],
    show_default=True,
    help="pipeline: word features plus the language pipeline's (tag, lemma, dependency, entity, head "
    "lemma, and the neighbours'); plain: word features alone, no pipeline (for comparison).",
)
def fit(dataset, out, c1, c2, unlabelled, text_field, skip_bad, features):
    """Fit the tagger (a CRF, IOB2-constrained decoding) on the train split of DATASET; save it
    with skops plus metadata.

    The CRF learns the labels every training document is gold for (`annotated_labels`); the
    others are listed in metadata.json as not learned, and never predicted. Its word-cluster
    features learn from the train texts and from the documents given with --unlabelled (for
    example everything pushed for annotation), whose spans are not used. With the default
    --features pipeline the model records the language pipeline it was trained with, and is
    refused where another is installed.
    """
    from tqdm import tqdm

    with tqdm(total=1, desc="fitting", disable=None, bar_format="{desc}: {elapsed}") as bar:
        metadata = api.fit(
            dataset,
            out,
            c1=c1,
            c2=c2,
            unlabelled=unlabelled,
            text_field=text_field,
            skip_bad=skip_bad,
            features=features,
        )
        bar.update(1)
    from newsgold.train.features import features_note

    for item, reason in metadata["unlabelled_skipped"]:
        click.echo(f"skipped {item}: {reason}", err=True)
    click.echo(
        f"trained {metadata['model_version']} on {metadata['train_documents']} documents in "
        f"{metadata['fit_seconds']} s; labels {', '.join(metadata['labels'])}; {features_note(metadata)}; "
        f"saved to {out}"
    )
    click.echo(relations_note(metadata["linker"]))
    from newsgold.train.checks import RULE

    for label, reason in metadata["not_learned_because"].items():
        click.echo(f"not learned: {label} ({reason}; {RULE})", err=True)


def relations_note(linking: dict) -> str:
    """One line: what draws the relations, and why (the linker's and the rules' relation F1)."""
    if linking.get("reason"):
        return f"relations: the rules' (no argument linker: {linking['reason']})"
    from newsgold.annotate.scoring import cell

    figures = linking["scores"]
    return (
        f"relations: the {'argument linker' if linking['relations'] == 'linker' else 'rules'}' (relation F1 on "
        f"gold spans, {linking['chosen_on']}: linker {cell(figures['linker']['relation_f1'])}, rules "
        f"{cell(figures['rules']['relation_f1'])}; linker fit in {linking['fit_seconds']} s)"
    )


class ModelFolder(click.Path):
    """A model folder that exists, or `starter` (the starter model, built on first use)."""

    name = "model"

    def __init__(self):
        super().__init__(exists=True, file_okay=False)

    def convert(self, value, param, ctx):
        return value if value == "starter" else super().convert(value, param, ctx)


@cli.command()
@click.argument("model", type=ModelFolder())
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option("--split", default="test", show_default=True, help="Split to score.")
def evaluate(model, dataset, split):
    """Score MODEL on a split of DATASET: strict (seqeval, IOB2) and partial (nervaluate) entity
    P/R/F1 per label with micro/macro averages and token confusion. Writes report.json,
    report.md and PNG plots into MODEL/eval-SPLIT/. MODEL is a folder `train fit` wrote, or
    `starter`: the tagger newsgold fits on its shipped starter gold (built on first use)."""
    from newsgold.train.features import features_note

    result = api.evaluate(model, dataset, split=split)
    click.echo(f"{result.report['model_version']}: {features_note(result.report)}")
    click.echo(result.table())
    for line in result.notes():
        click.echo(f"note: {line}", err=True)
    click.echo(f"wrote {', '.join(str(p) for p in result.written)}", err=True)


@cli.command()
@click.argument("model", type=ModelFolder())
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Predictions JSONL.")
@click.option("--text-field", default="text", show_default=True, help="Text field of JSONL/CSV input.")
@click.option(
    "--skip-bad", is_flag=True, help="Skip unreadable or empty items and report them, instead of stopping at the first."
)
def predict(model, paths, output, text_field, skip_bad):
    """Predict spans for raw documents (.txt, folders, JSONL, CSV) into the JSONL that
    `annotate push --predictions` sends to Label Studio under the model's model_version."""
    with Bars() as bars:
        result = api.predict(model, paths, output, text_field=text_field, skip_bad=skip_bad, progress=bars)
    for item in result.skipped:
        click.echo(f"skipped {item.item}: {item.reason}", err=True)
    click.echo(f"wrote {result.documents} documents to {output} ({result.model_version})")


@cli.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for curve.json and curve.png.")
@click.option("--split", default="validation", show_default=True, help="Split to score each model on.")
@click.option("--steps", type=checked("steps"), default=5, show_default=True, help="Number of training sizes.")
def curve(dataset, out, split, steps):
    """Learning curve: strict micro F1 on --split against the number of training documents."""
    from tqdm import tqdm

    from newsgold.train.curve import learning_curve

    points = learning_curve(
        dataset, Path(out), split, steps, progress=tqdm(total=steps, desc="curve", disable=None).update
    )
    from newsgold.annotate.scoring import cell

    for point in points:
        reason = f" ({point['reason']})" if point.get("reason") else ""
        click.echo(f"{point['documents']:5} documents: strict micro F1 {cell(point['f1'])}{reason}")


def main():
    run(cli, "train")
