"""The Python API of `train`: fit, evaluate and predict with the baseline tagger.

    from newsgold.train import fit, evaluate, predict

Like `annotate.api`: plain arguments in, a result out; nothing printed; NewsgoldError (one line)
on bad input. A dataset is a folder written by `annotate export`; a model is a folder written by
`fit` (see `train.model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from newsgold.annotate.progress import Progress, silent

__all__ = ["Evaluation", "Prediction", "evaluate", "fit", "predict"]


def fit(
    dataset: str | Path,
    out: str | Path,
    *,
    c1: float = 0.1,
    c2: float = 0.1,
    unlabelled: Iterable[str | Path] = (),
    text_field: str = "text",
    skip_bad: bool = False,
    features: str = "pipeline",
) -> dict:
    """Fit the tagger on the train split of `dataset` and save it in the folder `out`; returns
    its metadata (also in `out/metadata.json`): model_version, labels learned and not learned,
    training documents and seconds, schema hash, dataset fingerprint, features and language
    pipeline, versions. Its word clusters learn from the train texts and the raw documents in the
    paths `unlabelled` (with `skip_bad`, unreadable or empty ones are left out and listed as
    `unlabelled_skipped`). `features`: "pipeline" (the language layer's too, the default) or
    "plain" (word and shape features alone, no pipeline needed)."""
    from newsgold.annotate.limits import OptionError, check
    from newsgold.train.features import KINDS
    from newsgold.train.model import fit_model

    c1, c2 = check("c1", c1), check("c2", c2)
    if features not in KINDS:
        raise OptionError(f"features: {features!r} is not one of {', '.join(KINDS)}")
    return fit_model(
        dataset, out, c1=c1, c2=c2, unlabelled=unlabelled, text_field=text_field, skip_bad=skip_bad, features=features
    )


@dataclass(frozen=True)
class Evaluation:
    report: dict  # labels -> strict/partial P/R/F1 (None: cannot be computed, see `reason`), micro, macro, averages, unscored, confusion
    written: list[Path]  # report.json, report.md and the PNG plots

    def table(self) -> str:
        from newsgold.train.evaluate import table

        return table(self.report)

    def notes(self) -> list[str]:
        """What each "–" in the table means, and the labels (and event measures) not scored and why."""
        from newsgold.annotate.eventscoring import event_notes
        from newsgold.annotate.scoring import notes

        return notes(self.report) + (event_notes(self.report["events"]) if self.report.get("events") else [])


def evaluate(
    model: str | Path, dataset: str | Path, *, split: str = "test", out: str | Path | None = None
) -> Evaluation:
    """Score `model` on a split of `dataset`: strict (seqeval, IOB2) and partial (nervaluate)
    entity P/R/F1 per label, micro/macro averages and token confusion, and the event scores
    (`events`: `annotate.eventscoring`) of its predictions as `predict` makes them, written to `out`
    (default MODEL/eval-SPLIT) as report.json, report.md and PNG plots. The labels the model
    learned and the split is gold for are scored; the others are listed in `unscored` with why,
    and a figure that cannot be computed is None with its reason (`annotate.scoring`). An empty
    split, or no label in common, is refused before anything is written (`train.checks`); so is
    an output folder that is or holds an input, or holds files newsgold did not write (`annotate.outputs`)."""
    from newsgold.annotate.outputs import check_folder
    from newsgold.annotate.schema import load_schema
    from newsgold.train.checks import held_split, shared_labels
    from newsgold.train.evaluate import REPORT_FOLDER, event_report, gold_records, write_report
    from newsgold.train.evaluate import evaluate as score
    from newsgold.train.features import context_for
    from newsgold.train.model import load_model, model_files
    from newsgold.train.predict import annotator_for
    from newsgold.train.starter import resolve

    model = resolve(model)
    folder = Path(out) if out is not None else Path(model) / f"eval-{split}"
    inputs = [*model_files(model), dataset]
    check_folder(folder, REPORT_FOLDER, inputs)  # before any work
    tagger, metadata = load_model(model, dataset)
    part = held_split(dataset, split)
    shared_labels(tagger.labels_, dataset, split, part, f"{model}: the model")
    predicted = tagger.predict(part.tokens, context_for(tagger.features, part.texts, part.offsets))
    report = score(part.tags, predicted, part.annotated_labels, tagger.labels_, metadata.get("not_learned_because"))
    annotator = annotator_for(model, tagger, metadata)  # as `predict` runs it (its linker drawing relations)
    report["events"] = event_report(gold_records(dataset, split), annotator, load_schema())
    report.update(
        model_version=metadata["model_version"],
        dataset=str(dataset),
        split=split,
        features=tagger.features,
        pipeline=metadata.get("pipeline"),
    )
    written = write_report(report, folder, f"{metadata['model_version']} on {split}", inputs)
    return Evaluation(report, written)


@dataclass(frozen=True)
class Prediction:
    output: Path
    documents: int
    model_version: str
    skipped: list  # unreadable or empty items left out with skip_bad (item, reason)


def predict(
    model: str | Path,
    paths: Iterable[str | Path],
    output: str | Path,
    *,
    text_field: str = "text",
    skip_bad: bool = False,
    progress: Progress = silent,
) -> Prediction:
    """Spans predicted by `model` for raw documents (.txt, folders, JSONL, CSV), written to the
    JSONL file `output` under the model's model_version (with the relations of its argument
    linker when its metadata chose the linker over the rules), the shape `annotate push --predictions`
    sends to Label Studio. With `skip_bad`, unreadable or empty items are left out and listed
    in `skipped` instead of stopping at the first."""
    from newsgold.annotate.api import preannotate_documents
    from newsgold.annotate.outputs import check_file
    from newsgold.annotate.schema import load_schema
    from newsgold.train.model import load_model, model_files
    from newsgold.train.predict import annotator_for
    from newsgold.train.starter import resolve

    paths, model = list(paths), resolve(model)
    check_file(output, [*paths, *model_files(model)])  # before any work (the paths again when written)
    tagger, metadata = load_model(model, expected_hash=load_schema().hash)
    # pipeline features: analysed batch by batch; the linker draws the relations when chosen
    annotator = annotator_for(model, tagger, {**metadata, "annotated_in": None})
    result = preannotate_documents(
        paths, output, preannotator=annotator, text_field=text_field, skip_bad=skip_bad, progress=progress
    )
    return Prediction(result.output, result.documents, result.model_version, result.skipped)
