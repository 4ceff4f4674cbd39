"""The Python API of the Label Studio side: push, status, agreement, adjudication and the
loop, one function per command, each returning a result object. `newsgold.annotate.api` (and
`newsgold.annotate`) offer them with the rest of the API."""

from __future__ import annotations

from contextlib import closing
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterable

from newsgold.annotate.documents import STORY_THRESHOLD
from newsgold.annotate.errors import NewsgoldError
from newsgold.annotate.jsonl import read_jsonl
from newsgold.annotate.limits import check
from newsgold.annotate.preannotator import Preannotator, annotate_all
from newsgold.annotate.progress import Progress, silent
from newsgold.annotate.schema import Schema, as_schema
from newsgold.annotate.studio.push import BATCH_SIZE, PushReport

Paths = Iterable[str | Path]


def push_documents(
    paths: Paths,
    project: str,
    *,
    schema: Schema | str | Path | None = None,
    preannotator: Preannotator | None | bool = True,
    model: str | Path | None = None,
    batch_size: int = BATCH_SIZE,
    text_field: str = "text",
    skip_bad: bool = False,
    story_threshold: float = STORY_THRESHOLD,
    data_dir: str | Path | None = None,
    overlap: int | None = None,
    overlap_share: int | None = None,
    progress: Progress = silent,
) -> PushReport:
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
    from newsgold.annotate.studio.server import connect
    from newsgold.annotate.studio.server import data_dir as resolve_data_dir

    check_title(project)
    batch_size, story_threshold = check("batch_size", batch_size), check("story_threshold", story_threshold)
    overlap, overlap_share = check("overlap", overlap), check("overlap_share", overlap_share)
    schema = as_schema(schema)
    if model is not None and preannotator is not True:
        raise NewsgoldError("give either a preannotator or a model folder, not both")
    merged = _with_model(model, schema)
    read = load_documents(
        paths, text_field=text_field, skip_bad=skip_bad, story_threshold=story_threshold, progress=progress
    )  # before the server is asked: bad input is refused without one
    ls = connect(data_dir)
    chosen = merged or (_rules(progress) if preannotator is True else (preannotator or None))
    annotate = None if chosen is None else (lambda docs: [a.to_record() for a in annotate_all(chosen, docs)])
    total = len(read.documents)
    report = import_documents(
        ls,
        project,
        schema,
        read.documents,
        annotate,
        batch_size,
        lambda n: progress("pushing", n, total),
        ledger_dir=resolve_data_dir(data_dir) / "push-ledgers",
        new_round=merged is not None,
    )
    held = [doc for doc in read.documents if doc.id in report.held]
    if merged is not None and held:  # only the held tasks lacking the merged round are pre-annotated
        added = import_round(
            ls,
            project,
            held,
            annotate,
            merged.model_version,
            batch_size,
            lambda n: progress("pushing predictions", n, len(held)),
            schema=schema,
        )
        report = replace(report, predictions_added=added.predictions, notes=report.notes + added.notes)
    found = ls.get_project(project)
    settings = ls.overlap(found)
    wanted = (overlap or settings[0], overlap_share or settings[1])
    if wanted != settings:
        ls.set_overlap(found, *wanted)
    return replace(
        report, url=ls.tasks_url(report.project_id, report.view_id), skipped=tuple(read.skipped), overlap=wanted
    )


def push_predictions(
    predictions: str | Path,
    project: str,
    *,
    schema: Schema | str | Path | None = None,
    batch_size: int = BATCH_SIZE,
    data_dir: str | Path | None = None,
    progress: Progress = silent,
) -> PushReport:
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
    report = import_predictions(
        ls,
        project,
        records,
        batch_size,
        lambda n: progress("pushing predictions", n, len(records)),
        source=str(predictions),
        schema=schema,
    )
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
    return ProjectStatus(
        project=project,
        **compute(ls.iter_tasks(found, fields="all"), ls.users()),
        overlap={"annotators": annotators, "share": share},
    )


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

        return agreement_tables(
            {"pairs": self.pairs, "ground_truth": self.ground_truth, "chance": self.chance}, self.labels
        )

    def to_dict(self) -> dict:
        return asdict(self)


def project_agreement(
    project: str, *, schema: Schema | str | Path | None = None, data_dir: str | Path | None = None
) -> ProjectAgreement:
    """Inter-annotator agreement of a project, its tasks streamed from an export snapshot (see
    `LabelStudio.export_chunks`) and parsed as they arrive."""
    from newsgold.annotate.studio.agreement import agreement, project_config
    from newsgold.annotate.studio.server import connect
    from newsgold.annotate.studio.snapshot import iter_json_array

    labels = list(as_schema(schema).label_names)
    ls = connect(data_dir)
    found = ls.get_project(project)
    config = project_config(found, as_schema(schema), "agreement")
    with closing(ls.export_chunks(found)) as chunks:
        report = agreement(iter_json_array(chunks), labels, ls.users(), config)
    return ProjectAgreement(
        documents=report["documents"],
        pairs=report["pairs"],
        disagreements=report["disagreements"],
        labels=labels,
        ground_truth=report["ground_truth"],
        definition=report["definition"],
        chance=report["chance"],
    )


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


def adjudicate_project(
    project: str,
    *,
    reviewer: str | None = None,
    schema: Schema | str | Path | None = None,
    data_dir: str | Path | None = None,
) -> AdjudicationReport:
    """Settle what reviewers decided and queue what annotators dispute: every task whose vote
    prediction a reviewer started an annotation from (or, with `reviewer`, that person annotated
    after it) gets that annotation as its ground truth; every other task without a ground truth
    whose annotators disagree gets a prediction holding the vote and the disputed spans (model
    version `adjudicate.VERSION`), and the tab "to adjudicate" holds exactly those tasks. The
    tasks are read from an export snapshot, as `project_agreement` reads them."""
    from newsgold.annotate.studio.adjudicate import apply_decisions, plan
    from newsgold.annotate.studio.agreement import project_config
    from newsgold.annotate.studio.server import connect
    from newsgold.annotate.studio.snapshot import iter_json_array
    from newsgold.annotate.studio.views import ensure_adjudication_view

    ls = connect(data_dir)
    found = ls.get_project(project)
    users = ls.users()
    if reviewer is not None and reviewer not in users.values():
        from newsgold.annotate.studio.errors import LabelStudioError

        raise LabelStudioError(
            f"--reviewer {reviewer}: no such user on {ls.url}; give the email the reviewer logs in with"
        )
    config = project_config(found, as_schema(schema), "adjudicate")
    with closing(ls.export_chunks(found, predictions=True)) as chunks:
        decisions = plan(iter_json_array(chunks), users, reviewer, config)
    apply_decisions(ls, found, decisions, BATCH_SIZE)
    queued = [d.task_id for d in decisions if d.to_adjudicate]
    view_id, view = ensure_adjudication_view(ls, found, queued)
    count = lambda action: sum(d.action == action for d in decisions)  # noqa: E731
    return AdjudicationReport(
        project=project,
        to_adjudicate=queued,
        added=count("add"),
        replaced=count("replace"),
        withdrawn=count("withdraw"),
        settled=[d.task_id for d in decisions if d.action == "settle"],
        view=view,
        url=ls.tasks_url(found.id, view_id),
        decisions=decisions,
    )


def run_loop(
    project: str,
    work: str | Path,
    every: int,
    *,
    poll: float = 30.0,
    lease: float = 60.0,
    features: str = "pipeline",
    seed: int | None = None,
    ratios: tuple[float, float, float] | None = None,
    schema: Schema | str | Path | None = None,
    data_dir: str | Path | None = None,
    log=lambda record: None,
    rounds: int | None = None,
):
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
    return Loop(
        project,
        work,
        every,
        poll=poll,
        ttl=lease,
        features=features,
        seed=seed,
        ratios=ratios,
        schema=schema,
        data_dir=data_dir,
        log=log,
    ).run(rounds)


# The local API these functions build on; imported last, so that either module may be imported
# first (newsgold.annotate.api imports this one at its end).
from newsgold.annotate.api import _rules, _with_model, load_documents  # noqa: E402
