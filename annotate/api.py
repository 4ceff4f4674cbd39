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

from contextlib import closing
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterable

from newsgold.annotate.check import CheckReport, check_dataset
from newsgold.annotate.documents import STORY_THRESHOLD, Document, Skipped, group_stories, iter_documents
from newsgold.annotate.errors import DocumentError, NewsgoldError
from newsgold.annotate.export import ExportReport, export_dataset
from newsgold.annotate.jsonl import iter_jsonl, read_jsonl, write_jsonl
from newsgold.annotate.limits import check
from newsgold.annotate.outputs import check_file
from newsgold.annotate.preannotator import Preannotator, annotate_all
from newsgold.annotate.progress import Progress, silent
from newsgold.annotate.studio.push import BATCH_SIZE, PushReport
from newsgold.annotate.re3d import Re3dReport
from newsgold.annotate.schema import Schema, as_schema

__all__ = [
    "AdjudicationReport", "CheckReport", "DocumentSet", "ExportReport", "PreannotateResult", "ProjectAgreement", "ProjectStatus",
    "PushReport", "Re3dReport", "check_dataset", "convert_re3d", "export_dataset", "load_documents",
    "preannotate_documents", "project_agreement", "project_status", "push_documents", "push_predictions",
    "adjudicate_project", "render_schema", "run_loop", "score",
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


def load_documents(paths: Paths, *, text_field: str = "text", skip_bad: bool = False,
                   story_threshold: float = STORY_THRESHOLD, output: str | Path | None = None,
                   progress: Progress = silent) -> DocumentSet:
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
    from newsgold.annotate.studio.client import validate_config
    from newsgold.annotate.schema import guidelines_markdown, labelstudio_config

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


def preannotate_documents(paths: Paths, output: str | Path, *, preannotator: Preannotator | None = None,
                          model: str | Path | None = None, text_field: str = "text", skip_bad: bool = False,
                          story_threshold: float = STORY_THRESHOLD, progress: Progress = silent) -> PreannotateResult:
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
    read = load_documents(paths, text_field=text_field, skip_bad=skip_bad, story_threshold=story_threshold,
                          progress=progress)
    preannotator = preannotator or _rules(progress)
    total = len(read.documents)

    def records():
        for annotated in annotate_all(preannotator, read.documents):
            progress("pre-annotating", 1, total)
            yield annotated.to_record()

    count = write_jsonl(output, records(), inputs=inputs)
    return PreannotateResult(Path(output), count, preannotator.model_version, read.skipped)


def score(gold: str | Path, predicted: str | Path, *, schema: Schema | str | Path | None = None,
          fmt: str = "auto", label_map: dict[str, str] | None = None) -> dict:
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
    from newsgold.annotate.export.lsfile import detect_file_kind
    from newsgold.annotate.goldformats import FORMATS, gold_documents
    from newsgold.annotate.outputs import check_regular
    from newsgold.annotate.scoring import check_predictions, score_documents

    schema = as_schema(schema)
    labels = list(schema.label_names)
    check_regular(gold), check_regular(predicted)  # a pipe or a device would never finish reading
    kind = detect_file_kind(Path(gold)) if fmt == "auto" else fmt
    if kind not in FORMATS:
        raise NewsgoldError(f"{gold}: {'a Label Studio export' if kind == 'labelstudio' else f'format {kind!r}'} "
                            f"is not a gold file score reads ({', '.join(FORMATS)}); export the project with "
                            "`annotate export` and score against its JSONL")
    skipped: list[Skipped] = []
    documents = list(gold_documents(gold, kind, labels, label_map, skipped.append, schema.relation_ends))
    gold_records = [d.to_record() for d in documents]
    lines = ((f"{predicted} line {line}", record) for line, record in iter_jsonl(predicted))
    checked = check_predictions(gold_records, lines, labels, {d.document.id: f"{gold} line {d.line}" for d in documents},
                                schema.relation_ends)
    report = score_documents(gold_records, checked, labels, str(predicted), gold_source=str(gold), schema=schema)
    report["gold_problems"] = [p.to_dict() | {"document": d.document.id} for d in documents for p in d.problems]
    report["skipped"] = [asdict(item) for item in skipped]
    return report


def push_documents(paths: Paths, project: str, *, schema: Schema | str | Path | None = None,
                   preannotator: Preannotator | None | bool = True, model: str | Path | None = None,
                   batch_size: int = BATCH_SIZE, text_field: str = "text", skip_bad: bool = False,
                   story_threshold: float = STORY_THRESHOLD, data_dir: str | Path | None = None,
                   overlap: int | None = None, overlap_share: int | None = None,
                   progress: Progress = silent) -> PushReport:
    """Push documents to the Label Studio project titled `project`, pre-annotated by the rules
    (`preannotator=True`), by another pre-annotator, or not at all (False); with `model` (a
    folder `train fit` wrote) by the rules and that model merged. Creates the project
    from the schema, or updates its config when the schema changed compatibly; never creates a
    task twice for one document, also when another push of them runs at once, from this machine
    or another (see `annotate.studio.push`). A title Label Studio would refuse is refused first.

    With `model`, documents the project already holds get the merged pre-annotations too, as a
    new round under the merged model_version (once per task and version, as `push_predictions`
    adds them), so retraining and pushing again reaches every task; `predictions_added` counts them.
    Only the held documents whose task lacks that version are pre-annotated (`push.import_round`).

    `overlap` (different annotators per task of the overlap cohort) and `overlap_share` (the
    percent of tasks in it) set the project's `maximum_annotations` and
    `overlap_cohort_percentage`, which Label Studio Community's task queue honours; the one not
    given keeps the project's value (a new project: 1 annotator, 100 percent). `overlap` in the
    report is the project's (annotators, share) after the push."""
    from newsgold.annotate.studio.push import check_title, import_documents, import_round
    from newsgold.annotate.studio.server import connect, data_dir as resolve_data_dir

    check_title(project)
    batch_size, story_threshold = check("batch_size", batch_size), check("story_threshold", story_threshold)
    overlap, overlap_share = check("overlap", overlap), check("overlap_share", overlap_share)
    schema = as_schema(schema)
    if model is not None and preannotator is not True:
        raise NewsgoldError("give either a preannotator or a model folder, not both")
    merged = _with_model(model, schema)
    read = load_documents(paths, text_field=text_field, skip_bad=skip_bad, story_threshold=story_threshold,
                          progress=progress)  # before the server is asked: bad input is refused without one
    ls = connect(data_dir)
    chosen = merged or (_rules(progress) if preannotator is True else (preannotator or None))
    annotate = None if chosen is None else (lambda docs: [a.to_record() for a in annotate_all(chosen, docs)])
    total = len(read.documents)
    report = import_documents(ls, project, schema, read.documents, annotate, batch_size,
                              lambda n: progress("pushing", n, total),
                              ledger_dir=resolve_data_dir(data_dir) / "push-ledgers", new_round=merged is not None)
    held = [doc for doc in read.documents if doc.id in report.held]
    if merged is not None and held:  # only the held tasks lacking the merged round are pre-annotated
        added = import_round(ls, project, held, annotate, merged.model_version, batch_size,
                             lambda n: progress("pushing predictions", n, len(held)), schema=schema)
        report = replace(report, predictions_added=added.predictions, notes=report.notes + added.notes)
    found = ls.get_project(project)
    settings = ls.overlap(found)
    wanted = (overlap or settings[0], overlap_share or settings[1])
    if wanted != settings:
        ls.set_overlap(found, *wanted)
    return replace(report, url=ls.tasks_url(report.project_id, report.view_id), skipped=tuple(read.skipped),
                   overlap=wanted)


def push_predictions(predictions: str | Path, project: str, *, schema: Schema | str | Path | None = None,
                     batch_size: int = BATCH_SIZE, data_dir: str | Path | None = None,
                     progress: Progress = silent) -> PushReport:
    """Add a round of predictions (JSONL from `preannotate` or `train predict`) to the project's
    existing tasks, under its own model_version, once per task and version. The whole file is
    checked against the schema and the tasks' texts first: a span outside its text, a label or
    relation outside the schema, a record without model_version, a project built from another
    schema refuse it with nothing stored."""
    from newsgold.annotate.studio.push import check_predictions, check_title, import_predictions
    from newsgold.annotate.studio.server import connect

    check_title(project)
    batch_size = check("batch_size", batch_size)
    schema = as_schema(schema)
    records = read_jsonl(predictions)
    check_predictions(records, str(predictions), schema)
    ls = connect(data_dir)
    report = import_predictions(ls, project, records, batch_size,
                                lambda n: progress("pushing predictions", n, len(records)), source=str(predictions),
                                schema=schema)
    return replace(report, url=ls.tasks_url(report.project_id, report.view_id))


@dataclass(frozen=True)
class ProjectStatus:
    """Progress of a project and how annotators treat each model_version's pre-annotations."""

    project: str
    totals: dict  # tasks, annotated, skipped, remaining
    annotators: dict  # name -> {annotations, cancelled}
    predictions: dict  # model_version -> predictions
    acceptance: dict  # model_version -> label -> {kept, changed, deleted, added}
    # model_version started from -> {annotations, skipped, timed, mean_seconds, median_seconds}
    annotation_time: dict = field(default_factory=dict)
    # overlap needed (annotators per task) -> {tasks, reached}; and the project's settings
    overlap_tasks: dict = field(default_factory=dict)
    overlap: dict = field(default_factory=dict)  # {"annotators": maximum_annotations, "share": cohort percent}

    def to_dict(self) -> dict:
        return asdict(self)


def project_status(project: str, *, data_dir: str | Path | None = None) -> ProjectStatus:
    """Tasks total / annotated / skipped / remaining (the tasks streamed a page at a time, see
    `LabelStudio.iter_tasks`), annotations per annotator, predictions per
    model_version, per model_version and label how many predicted spans annotators kept
    exactly, changed or deleted, and how many spans they added, and per model_version the mean
    and median seconds annotators spent on an annotation started from its pre-annotation
    (Label Studio's `lead_time`; `annotate.studio.status.started_from`), and the overlap: the project's
    settings and per number of annotators a task needs, how many tasks reached it."""
    from newsgold.annotate.studio.server import connect
    from newsgold.annotate.studio.status import project_status as compute

    ls = connect(data_dir)
    found = ls.get_project(project)
    annotators, share = ls.overlap(found)
    return ProjectStatus(project, **compute(ls.iter_tasks(found, fields="all"), ls.users()),
                         overlap={"annotators": annotators, "share": share})


@dataclass(frozen=True)
class ProjectAgreement:
    """Pairwise span F1 per label on documents with two or more annotators, each annotator's F1
    against the ground truth, and every span not drawn by all of them (to adjudicate)."""

    documents: int
    pairs: dict  # "a vs b" -> label -> {strict, partial}
    disagreements: list
    labels: list[str]
    ground_truth: dict  # annotator -> label -> {strict, partial}, against the ground truth
    definition: str  # what strict and partial mean
    chance: dict  # Krippendorff's alpha, Cohen's kappa and relation F1 (annotate.studio.chance)

    def table(self) -> str:
        from newsgold.annotate.studio.agreement import agreement_tables

        return agreement_tables({"pairs": self.pairs, "ground_truth": self.ground_truth, "chance": self.chance},
                                self.labels)

    def to_dict(self) -> dict:
        return asdict(self)


def project_agreement(project: str, *, schema: Schema | str | Path | None = None,
                      data_dir: str | Path | None = None) -> ProjectAgreement:
    """Inter-annotator agreement of a project, its tasks streamed from an export snapshot (see
    `LabelStudio.export_chunks`) and parsed as they arrive."""
    from newsgold.annotate.studio.agreement import agreement, project_config
    from newsgold.annotate.studio.client import iter_json_array
    from newsgold.annotate.studio.server import connect

    labels = list(as_schema(schema).label_names)
    ls = connect(data_dir)
    found = ls.get_project(project)
    config = project_config(found, as_schema(schema), "agreement")
    with closing(ls.export_chunks(found)) as chunks:
        report = agreement(iter_json_array(chunks), labels, ls.users(), config)
    return ProjectAgreement(report["documents"], report["pairs"], report["disagreements"], labels,
                            report["ground_truth"], report["definition"], report["chance"])


@dataclass(frozen=True)
class AdjudicationReport:
    """What `adjudicate_project` found and did (see `annotate.studio.adjudicate`)."""

    project: str
    to_adjudicate: list  # task ids whose annotators disagree, now in the tab
    added: int  # vote predictions added
    replaced: int  # stale vote predictions replaced (the annotations changed since)
    withdrawn: int  # vote predictions deleted: their annotators no longer disagree
    settled: list  # task ids whose reviewer's annotation became the ground truth in this run
    view: str  # the tab "to adjudicate": "created", "updated" or "kept"
    url: str  # the tab's address
    decisions: list = field(default_factory=list)  # annotate.studio.adjudicate.Decision, one per task acted on

    def to_dict(self) -> dict:
        found = asdict(self)
        for decision in found["decisions"]:
            decision.pop("payload", None)
        return found


def adjudicate_project(project: str, *, reviewer: str | None = None, schema: Schema | str | Path | None = None,
                       data_dir: str | Path | None = None) -> AdjudicationReport:
    """Settle what reviewers decided and queue what annotators dispute: every task whose vote
    prediction a reviewer started an annotation from (or, with `reviewer`, that person annotated
    after it) gets that annotation as its ground truth; every other task without a ground truth
    whose annotators disagree gets a prediction holding the vote and the disputed spans (model
    version `adjudicate.VERSION`), and the tab "to adjudicate" holds exactly those tasks. The
    tasks are read from an export snapshot, as `project_agreement` reads them."""
    from newsgold.annotate.studio.adjudicate import apply_decisions, plan
    from newsgold.annotate.studio.agreement import project_config
    from newsgold.annotate.studio.client import iter_json_array
    from newsgold.annotate.studio.server import connect
    from newsgold.annotate.studio.views import ensure_adjudication_view

    ls = connect(data_dir)
    found = ls.get_project(project)
    users = ls.users()
    if reviewer is not None and reviewer not in users.values():
        from newsgold.annotate.studio.client import LabelStudioError

        raise LabelStudioError(f"--reviewer {reviewer}: no such user on {ls.url}; give the email the reviewer logs in with")
    config = project_config(found, as_schema(schema), "adjudicate")
    with closing(ls.export_chunks(found, predictions=True)) as chunks:
        decisions = plan(iter_json_array(chunks), users, reviewer, config)
    apply_decisions(ls, found, decisions, BATCH_SIZE)
    queued = [d.task_id for d in decisions if d.to_adjudicate]
    view_id, view = ensure_adjudication_view(ls, found, queued)
    count = lambda action: sum(d.action == action for d in decisions)  # noqa: E731
    return AdjudicationReport(project, queued, count("add"), count("replace"), count("withdraw"),
                              [d.task_id for d in decisions if d.action == "settle"], view,
                              ls.tasks_url(found.id, view_id), decisions)


def run_loop(project: str, work: str | Path, every: int, *, poll: float = 30.0, lease: float = 60.0,
             features: str = "pipeline", seed: int | None = None, ratios: tuple[float, float, float] | None = None,
             schema: Schema | str | Path | None = None, data_dir: str | Path | None = None,
             log=lambda record: None, rounds: int | None = None):
    """Rounds that start themselves (`annotate.studio.loop`): every `every` new submitted annotations,
    export the project, fit the team's model (the trainer of the entry point group
    `newsgold.trainers`) and push its predictions, merged with the rules, to the tasks nobody has
    annotated, as a new round the project shows. Only the holder of the project's lease trains
    (`annotate.studio.lease`); its state is kept in `work`. Each event is a record passed to `log`
    (and appended to `work/loop.jsonl`); runs until interrupted, or `rounds` rounds. Returns the
    last round's `LoopState`."""
    from newsgold.annotate.studio.loop import Loop

    every, poll, lease = check("every", every), check("poll", poll), check("lease", lease)
    if seed is not None:
        seed = check("seed", seed)
    return Loop(project, work, every, poll=poll, ttl=lease, features=features, seed=seed, ratios=ratios,
                schema=schema, data_dir=data_dir, log=log).run(rounds)


def convert_re3d(folder: str | Path, output: str | Path) -> Re3dReport:
    """The re3d corpus (a folder of */documents.json, entities.json) as gold JSONL in `output`:
    Person/Organisation → ACTOR, Location → LOCATION, counting Quantity → COUNT; each document
    gold for those three labels only."""
    from newsgold.annotate.re3d import convert

    check_file(output, [folder])
    records, report = convert(folder)
    write_jsonl(output, records, inputs=[folder])
    return report

