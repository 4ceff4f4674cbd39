"""The Python API of `annotate`: one function per command, plain arguments in, a result out.

    from newsgold.annotate import load_documents, preannotate_documents, export_dataset

These functions never print and never exit: they return result objects and raise NewsgoldError
(one line naming the item, the cause and the fix). Progress goes to an optional callback,
`progress(stage, advance, total)` (see `annotate.progress`). The `annotate` command line is a thin
layer over them. `schema` arguments take a Schema, a path to a schema file, or None (the
default schema); `data_dir` selects the local Label Studio (LABEL_STUDIO_URL and
LABEL_STUDIO_API_KEY select an existing server instead).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from newsgold.annotate.check import CheckReport, check_dataset
from newsgold.annotate.documents import STORY_THRESHOLD, Document, Skipped, group_stories, iter_documents
from newsgold.annotate.errors import DocumentError, NewsgoldError
from newsgold.annotate.export import ExportReport, export_dataset
from newsgold.annotate.jsonl import iter_jsonl, write_jsonl
from newsgold.annotate.limits import check
from newsgold.annotate.outputs import check_file
from newsgold.annotate.preannotator import Preannotator, annotate_all
from newsgold.annotate.progress import Progress, silent
from newsgold.annotate.re3d import Re3dReport
from newsgold.annotate.schema import Schema, as_schema
from newsgold.annotate.studio.push import PushReport

__all__ = [
    "AdjudicationReport",
    "CheckReport",
    "DocumentSet",
    "ExportReport",
    "PreannotateResult",
    "ProjectAgreement",
    "ProjectStatus",
    "PushReport",
    "Re3dReport",
    "check_dataset",
    "convert_re3d",
    "export_dataset",
    "load_documents",
    "preannotate_documents",
    "project_agreement",
    "project_status",
    "push_documents",
    "push_predictions",
    "adjudicate_project",
    "render_schema",
    "run_loop",
    "score",
]


Paths = Iterable[str | Path]


@dataclass(frozen=True)
class DocumentSet:
    """Documents read, normalised, identified and grouped into stories; the items skipped."""

    documents: list[Document]
    skipped: list[Skipped]
    output: Path | None = None

    @property
    def stories(self) -> int:
        return len({doc.story_id for doc in self.documents})


def load_documents(
    paths: Paths,
    *,
    text_field: str = "text",
    skip_bad: bool = False,
    story_threshold: float = STORY_THRESHOLD,
    output: str | Path | None = None,
    progress: Progress = silent,
) -> DocumentSet:
    """Read `.txt` files, folders of them, `.jsonl` and `.csv` files; normalise each text, give
    it a content-hash `id` and a `story_id` shared by reports of one story; with `output`, also
    write them as JSONL (refused before any reading when it is one of `paths` or inside one:
    `annotate.outputs`). A bad item is a DocumentError, or with `skip_bad` listed in `skipped`.
    One id names one text (`documents.Identities`): two items with one id and different texts
    are a DocumentError naming both; a copy (same id, same text) is read once and listed in
    `skipped`."""
    story_threshold = check("story_threshold", story_threshold)
    paths = list(paths)
    if output is not None:
        check_file(output, paths)
    skipped: list[Skipped] = []
    documents = []
    for document in iter_documents(paths, text_field, skipped.append if skip_bad else None, skipped.append):
        documents.append(document)
        progress("reading", 1, None)
    if not documents:
        why = f" ({len(skipped)} skipped, the first: {skipped[0].item}: {skipped[0].reason})" if skipped else ""
        raise DocumentError(f"no documents were read from {', '.join(map(str, paths))}{why}; check the paths")
    documents = group_stories(documents, story_threshold)
    if output is not None:
        write_jsonl(output, (doc.to_dict() for doc in documents), inputs=paths)
    return DocumentSet(documents, skipped, None if output is None else Path(output))


def render_schema(fmt: str = "labelstudio", schema: Schema | str | Path | None = None) -> str:
    """The schema validated (its Label Studio config by Label Studio's own parser, offline) and
    rendered as `labelstudio` (the labeling config), `features` (the dataset's Hugging Face
    features), `guidelines` (Markdown) or `json`."""
    import json

    from newsgold.annotate.dataset import features
    from newsgold.annotate.schema import guidelines_markdown, labelstudio_config
    from newsgold.annotate.studio.client import validate_config

    schema = as_schema(schema)
    config = labelstudio_config(schema)
    validate_config(config, source=str(schema.path))
    if fmt == "labelstudio":
        return config
    if fmt == "features":
        return json.dumps(features(schema).to_dict(), indent=2)
    if fmt == "guidelines":
        return guidelines_markdown(schema)
    if fmt == "json":
        return json.dumps({**schema.to_dict(), "hash": schema.hash}, indent=2, ensure_ascii=False)
    raise NewsgoldError(f"schema format {fmt!r} is unknown; use labelstudio, features, guidelines or json")


@dataclass(frozen=True)
class PreannotateResult:
    output: Path
    documents: int
    model_version: str
    skipped: list[Skipped] = field(default_factory=list)


def _rules(progress: Progress = silent) -> Preannotator:
    """The rules, reading the language layer (its parsing reported to `progress`), documents
    analysed a batch at a time through `annotate_all` -> `RuleAnnotator.annotate_many`."""
    from newsgold.annotate.preannotate import RuleAnnotator

    return RuleAnnotator(progress=progress).warm_up()


def _with_model(model: str | Path | None, schema: Schema | str | Path | None = None) -> Preannotator | None:
    """The rules merged with the model folder `model` (None without one)."""
    if model is None:
        return None
    from newsgold.annotate.preannotate.merge import load_merged

    return load_merged(model, as_schema(schema).hash)


def preannotate_documents(
    paths: Paths,
    output: str | Path,
    *,
    preannotator: Preannotator | None = None,
    model: str | Path | None = None,
    text_field: str = "text",
    skip_bad: bool = False,
    story_threshold: float = STORY_THRESHOLD,
    progress: Progress = silent,
) -> PreannotateResult:
    """Pre-annotate documents (the rules unless another `preannotator` is given; with `model`, a
    folder `train fit` wrote, the rules and that model merged: `MergedAnnotator`) into the JSONL
    file `output`: each document with `spans` (offsets, label, score), `relations`, the
    `model_version` of the pre-annotator and its confidence in the document (`score`)."""
    if preannotator is not None and model is not None:
        raise NewsgoldError("give either a preannotator or a model folder, not both")
    story_threshold = check("story_threshold", story_threshold)
    paths = list(paths)
    inputs = [*paths, model]
    check_file(output, inputs)
    preannotator = preannotator or _with_model(model)
    read = load_documents(
        paths, text_field=text_field, skip_bad=skip_bad, story_threshold=story_threshold, progress=progress
    )
    preannotator = preannotator or _rules(progress)
    total = len(read.documents)

    def records():
        for annotated in annotate_all(preannotator, read.documents):
            progress("pre-annotating", 1, total)
            yield annotated.to_record()

    count = write_jsonl(output, records(), inputs=inputs)
    return PreannotateResult(Path(output), count, preannotator.model_version, read.skipped)


def score(
    gold: str | Path,
    predicted: str | Path,
    *,
    schema: Schema | str | Path | None = None,
    fmt: str = "auto",
    label_map: dict[str, str] | None = None,
) -> dict:
    """Strict and partial P/R/F1 per label and micro-averaged (nervaluate) of the spans of the
    JSONL file `predicted` against those of the gold file `gold`, matched by document id (a
    document without one by the content hash of its text); each gold document is scored on its
    `annotated_labels` only. The gold is read like `export_dataset` reads it (`fmt`, `label_map`:
    newsgold gold JSONL, doccano, spaCy/Prodigy or CoNLL, texts normalised, spans carried); the
    report's `gold_problems` lists the gold spans that could not be scored, `skipped` the records
    that are not gold. The predictions are checked against the gold and the schema first
    (`scoring.check_predictions`: a text that differs from the gold document of its id, a span
    outside the text or not covering its `text`, a label outside the schema stop with a
    NewsgoldError naming the line); a figure that cannot be computed is None, its reason in the
    Scores, and a label no gold document is gold for is listed in `unscored`."""
    from newsgold.annotate import formats
    from newsgold.annotate.formats.checked import gold_documents
    from newsgold.annotate.outputs import check_regular
    from newsgold.annotate.scoring import check_predictions, score_documents

    schema = as_schema(schema)
    labels = list(schema.label_names)
    check_regular(gold), check_regular(predicted)  # a pipe or a device would never finish reading
    kind = formats.detect(Path(gold)) if fmt == "auto" else fmt
    spec = formats.get(kind)
    if spec is None or not spec.gold:
        raise NewsgoldError(
            f"{gold}: {f'a {spec.title}' if spec else f'format {kind!r}'} is not a gold file score "
            f"reads ({', '.join(formats.names(gold=True))}); export the project with "
            "`annotate export` and score against its JSONL"
        )
    skipped: list[Skipped] = []
    documents = list(gold_documents(gold, kind, labels, label_map, skipped.append, schema.relation_ends))
    gold_records = [d.to_record() for d in documents]
    lines = ((f"{predicted} line {line}", record) for line, record in iter_jsonl(predicted))
    checked = check_predictions(
        gold_records, lines, labels, {d.document.id: f"{gold} line {d.line}" for d in documents}, schema.relation_ends
    )
    report = score_documents(gold_records, checked, labels, str(predicted), gold_source=str(gold), schema=schema)
    report["gold_problems"] = [p.to_dict() | {"document": d.document.id} for d in documents for p in d.problems]
    report["skipped"] = [asdict(item) for item in skipped]
    return report


def convert_re3d(folder: str | Path, output: str | Path) -> Re3dReport:
    """The re3d corpus (a folder of */documents.json, entities.json) as gold JSONL in `output`:
    Person/Organisation → ACTOR, Location → LOCATION, counting Quantity → COUNT; each document
    gold for those three labels only."""
    from newsgold.annotate.re3d import convert

    check_file(output, [folder])
    records, report = convert(folder)
    write_jsonl(output, records, inputs=[folder])
    return report


# The Label Studio side's functions, part of the one API; imported after the definitions above,
# which they use.
from newsgold.annotate.studio.api import (  # noqa: E402
    AdjudicationReport,
    ProjectAgreement,
    ProjectStatus,
    adjudicate_project,
    project_agreement,
    project_status,
    push_documents,
    push_predictions,
    run_loop,
)
