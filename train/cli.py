"""The `train` command line: the baseline sequence tagger (fit, evaluate, predict, curve)."""

from __future__ import annotations

from pathlib import Path

import click

from annotate import __version__
from annotate.cli import NewsgoldGroup


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
@click.option("--c1", type=float, default=0.1, show_default=True, help="L1 regularisation of the CRF.")
@click.option("--c2", type=float, default=0.1, show_default=True, help="L2 regularisation of the CRF.")
def fit(dataset, out, c1, c2):
    """Fit the tagger (a CRF, IOB2-constrained decoding) on the train split of DATASET; save it
    with skops plus metadata.

    The CRF learns the labels every training document is gold for (`annotated_labels`); the
    others are listed in metadata.json as not learned, and never predicted.
    """
    from tqdm import tqdm

    from train.model import fit_model

    with tqdm(total=1, desc="fitting", disable=None, bar_format="{desc}: {elapsed}") as bar:
        metadata = fit_model(dataset, out, c1=c1, c2=c2)
        bar.update(1)
    click.echo(f"trained {metadata['model_version']} on {metadata['train_documents']} documents in "
               f"{metadata['fit_seconds']} s; labels {', '.join(metadata['labels'])}; saved to {out}")
    if metadata["labels_not_learned"]:
        click.echo(f"not learned (not gold in every training document): {', '.join(metadata['labels_not_learned'])}", err=True)


@cli.command()
@click.argument("model", type=click.Path(exists=True, file_okay=False))
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option("--split", default="test", show_default=True, help="Split to score.")
def evaluate(model, dataset, split):
    """Score MODEL on a split of DATASET: strict (seqeval, IOB2) and partial (nervaluate) entity
    P/R/F1 per label with micro/macro averages and token confusion. Writes report.json,
    report.md and PNG plots into MODEL/eval-SPLIT/."""
    from train.evaluate import evaluate as score
    from train.evaluate import table, write_report
    from train.model import load_model, load_split

    tagger, metadata = load_model(model, dataset)
    part = load_split(dataset, split)
    predicted = tagger.predict(part.tokens)
    report = score(part.tags, predicted, part.annotated_labels, tagger.labels_)
    report["model_version"] = metadata["model_version"]
    report["dataset"], report["split"] = str(dataset), split
    written = write_report(report, Path(model) / f"eval-{split}", f"{metadata['model_version']} on {split}")
    click.echo(table(report))
    click.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)


@cli.command()
@click.argument("model", type=click.Path(exists=True, file_okay=False))
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Predictions JSONL.")
@click.option("--text-field", default="text", show_default=True, help="Text field of JSONL/CSV input.")
def predict(model, paths, output, text_field):
    """Predict spans for raw documents (.txt, folders, JSONL, CSV) into the JSONL that
    `annotate push --predictions` sends to Label Studio under the model's model_version."""
    from tqdm import tqdm

    from annotate.documents import group_stories, read_documents
    from annotate.jsonl import write_jsonl
    from annotate.schema import load_schema
    from train.model import load_model
    from train.predict import predict_records

    tagger, metadata = load_model(model, schema_hash=load_schema().hash)
    docs, _ = read_documents(paths, text_field)
    docs = group_stories(docs)
    records = predict_records(tagger, tqdm(docs, desc="predicting", unit="doc", disable=None), metadata["model_version"])
    count = write_jsonl(output, records)
    click.echo(f"wrote {count} documents to {output} ({metadata['model_version']})")


@cli.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for curve.json and curve.png.")
@click.option("--split", default="validation", show_default=True, help="Split to score each model on.")
@click.option("--steps", type=int, default=5, show_default=True, help="Number of training sizes.")
def curve(dataset, out, split, steps):
    """Learning curve: strict micro F1 on --split against the number of training documents."""
    from tqdm import tqdm

    from train.curve import learning_curve

    points = learning_curve(dataset, Path(out), split, steps, progress=tqdm(total=steps, desc="curve", disable=None).update)
    for point in points:
        click.echo(f"{point['documents']:5} documents: strict micro F1 {point['f1']:.3f}")


def main():
    cli(prog_name="train")
