"""The commands that talk to Label Studio: server, push, status, agreement, adjudicate, loop."""

from __future__ import annotations

import json

import click

from newsgold.annotate.cli import cli
from newsgold.annotate.cli.common import (
    _input_options,
    _notes,
    _report_skipped,
    api,
    data_dir_option,
    model_option,
    project_option,
    story_option,
)
from newsgold.annotate.clikit import RATIOS, Bars, InputFile, checked, schema_option


@cli.command()
@data_dir_option
@click.option("--port", type=checked("port"), default=None, help="Port on 127.0.0.1 (default 8080).")
@click.option(
    "--database",
    metavar="URL",
    envvar="NEWSGOLD_DATABASE_URL",
    show_envvar=True,
    help="Run on this PostgreSQL database, postgresql://USER:PASSWORD@HOST:PORT/DB, instead of SQLite "
    "(set $NEWSGOLD_DATABASE_URL rather than typing the password here).",
)
@click.option("--stop", "action", flag_value="stop", help="Stop the local server.")
@click.option("--status", "action", flag_value="status", help="Say whether the local server runs, and where.")
def server(data_dir, port, database, action):
    """Start the embedded local Label Studio (or reuse the running one).

    Runs `label-studio` (install the `server` extra) with SQLite in --data-dir, or on the
    PostgreSQL --database, bound to 127.0.0.1 only. On first start an admin user and API token
    are generated and stored in DATA_DIR/newsgold-credentials.json (mode 0600); the first start
    runs database migrations (about 30-60 s). When LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY are
    set, nothing is started: the commands use that server.
    """
    from newsgold.annotate.studio import server as local
    from newsgold.annotate.studio.server import CREDENTIALS_FILE, external_connection

    external = external_connection()
    if external:
        ls = local.connect(data_dir)
        click.echo(f"using the existing Label Studio at {external.url} (LABEL_STUDIO_URL); nothing started")
        click.echo(f"signed in as {ls.check()}")
        return
    if action == "stop":
        stopped = local.stop(data_dir)
        _notes(stopped.notes)
        click.echo(
            "stopped the local Label Studio"
            if stopped
            else f"no local Label Studio was running in {local.data_dir(data_dir)}"
        )
        return
    if action == "status":
        current = local.status(data_dir)
        _notes(current.notes)
        if current.running:
            on = f"; database {current.database}" if current.database else ""
            click.echo(f"running at {current.url} (pid {current.pid}); data in {current.data_dir}{on}")
        else:
            click.echo(f"not running; {current.where()}")
            raise SystemExit(3)
        return
    from tqdm import tqdm

    bar = tqdm(
        total=None,
        desc="starting Label Studio",
        unit="s",
        disable=None,
        bar_format="{desc}: {elapsed} (first start runs migrations, ~30-60 s)",
    )
    said = [0.0]

    def waiting(waited: float) -> None:
        if not bar.disable:
            bar.refresh()
        elif waited - said[0] >= 15 or not said[0]:  # a log or a pipe: a line now and then
            said[0] = max(waited, 0.1)
            click.echo(f"starting Label Studio: {waited:.0f} s (first start runs migrations, ~30-60 s)", err=True)

    try:
        current = local.start(data_dir, port, on_wait=waiting, database=database)
    finally:
        bar.close()
    _notes(current.notes)
    click.echo(f"Label Studio is running at {current.url}" + (f" on {current.database}" if current.database else ""))
    click.echo(f"log in as {current.username}; password and API token: {current.data_dir / CREDENTIALS_FILE}")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@project_option
@click.option(
    "--predictions",
    "predictions_file",
    type=InputFile(),
    help="Add this round of predictions (JSONL from `annotate preannotate` or `train predict`) "
    "to the project's existing tasks, under its own model_version, instead of pushing documents.",
)
@click.option("--no-preannotate", is_flag=True, help="Push documents without rule pre-annotations.")
@model_option
@click.option(
    "--batch-size", type=checked("batch_size"), default=250, show_default=True, help="Tasks per bulk import request."
)
@click.option(
    "--overlap",
    type=checked("overlap"),
    default=None,
    metavar="N",
    help="Different annotators each task of the overlap cohort gets from Label Studio's task queue "
    '("Label All Tasks"); default: the project\'s setting (new project: 1).',
)
@click.option(
    "--overlap-share",
    type=checked("overlap_share"),
    default=None,
    metavar="PCT",
    help="Percent of the tasks in the overlap cohort (the others get one annotator); default: the "
    "project's setting (new project: 100). A later push can change both.",
)
@_input_options
@story_option
@schema_option
@data_dir_option
def push(
    paths,
    project,
    predictions_file,
    no_preannotate,
    model,
    batch_size,
    overlap,
    overlap_share,
    text_field,
    skip_bad,
    story_threshold,
    schema_path,
    data_dir,
):
    """Push documents with rule pre-annotations to a Label Studio project.

    Creates the project from the schema if it is missing (labeling config, guidelines as
    instructions, schema hash in its description), or updates its config in place when the schema
    changed compatibly; a change that removes a label existing annotations use is refused.
    Documents are deduplicated by id against what the project already holds, so re-running a
    push — also one that was interrupted — never creates duplicate tasks. What the project holds
    comes from the ledger the previous push left in DATA_DIR/push-ledgers when the project is
    unchanged since (same number of tasks, same highest task id), else from listing its tasks.
    Pushes of the same documents running at once, also from other machines, end with one project
    and one task per document: each push removes the copies a concurrent one created (never a
    task carrying an annotation) and says so. With --predictions the file is checked against the
    schema and the tasks' texts before anything is stored. With --model DIR (a folder `train fit`
    wrote) the rules and that tagger pre-annotate together, under one model_version, and the
    documents the project already holds get that round too, once per task and version.
    """
    if model and (predictions_file or no_preannotate):
        raise click.UsageError("--model pre-annotates the documents pushed: not with --predictions or --no-preannotate")
    if predictions_file:
        if paths:
            raise click.UsageError("give either PATHS (documents) or --predictions FILE, not both")
        if overlap or overlap_share:
            raise click.UsageError(
                "--overlap and --overlap-share are set with a push of documents (PATHS), not with --predictions"
            )
        with Bars() as bars:
            report = api.push_predictions(
                predictions_file, project, schema=schema_path, batch_size=batch_size, data_dir=data_dir, progress=bars
            )
        click.echo(
            f"project {project!r}: {report.predictions} predictions added, "
            f"{report.already_present} already there (same model_version), "
            f"{report.without_spans} without spans (nothing to add), "
            f"{report.unknown_documents} documents not in the project (push them first)"
        )
        _notes(report.notes)
        _view_line(report)
        return
    if not paths:
        raise click.UsageError("give the documents to push (PATHS), or --predictions FILE")
    with Bars() as bars:
        report = api.push_documents(
            paths,
            project,
            schema=schema_path,
            preannotator=not no_preannotate,
            model=model,
            batch_size=batch_size,
            text_field=text_field,
            skip_bad=skip_bad,
            story_threshold=story_threshold,
            data_dir=data_dir,
            overlap=overlap,
            overlap_share=overlap_share,
            progress=bars,
        )
    _report_skipped(report.skipped)
    what = "created" if report.project_created else ("config updated" if report.config_updated else "exists")
    known = {"ledger": " (known from the ledger of the last push)", "server": " (listed from the server)"}
    click.echo(
        f"project {project!r} ({what}): {report.new_tasks} new tasks, {report.already_present} already "
        f"present{known.get(report.dedup, '')}, {report.predictions} with pre-annotations"
    )
    if model and report.already_present:
        click.echo(
            f"added this model's round to {report.predictions_added} tasks the project already held "
            f"({report.already_present - report.predictions_added} had it or got no span)"
        )
    if report.duplicates_removed:
        click.echo(
            f"removed {report.duplicates_removed} duplicate tasks created by a concurrent push of the same "
            "documents (one task per document is kept)"
        )
    if report.predictions_restored:
        click.echo(f"gave {report.predictions_restored} kept tasks this push's pre-annotations, which they lacked")
    _notes(report.notes)
    if report.ledger_error:
        click.echo(
            f"note: could not save the push ledger ({report.ledger_error}); the next push will "
            "list the project's tasks instead",
            err=True,
        )
    _view_line(report)
    if report.overlap and report.overlap[0] > 1:
        click.echo(
            f"overlap: {report.overlap[1]}% of the tasks go to {report.overlap[0]} different annotators, "
            "the others to one (`annotate status` shows how many reached it)"
        )
    click.echo(f"open {report.url} to annotate")


def _view_line(report) -> None:
    """Say when a push made or mended the tab "least confident first" (annotate.studio.views)."""
    from newsgold.annotate.studio.views import TITLE

    if report.view in ("created", "repaired"):
        what = "created" if report.view == "created" else "repaired (its order and score column put back)"
        click.echo(f"Data Manager tab {TITLE!r} {what}: tasks by prediction score, lowest first")


@cli.command()
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@data_dir_option
def status(project, as_json, data_dir):
    """Progress of a project and how annotators treat the pre-annotations.

    Tasks total / annotated / skipped / remaining, annotations per annotator, predictions per
    model_version, per model_version and label how many predicted spans annotators kept
    exactly, changed, deleted, and how many spans they added, and the mean and median seconds
    an annotation took (Label Studio's lead_time) per model_version it was started from, or
    "(no pre-annotation)" when the annotator began from an empty annotation; and the overlap
    (`push --overlap`): per number of different annotators a task needs, how many tasks reached it.
    """
    from newsgold.annotate.studio.status import OUTCOMES

    report = api.project_status(project, data_dir=data_dir)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    t = report.totals
    click.echo(
        f"{project}: {t['tasks']} tasks, {t['annotated']} annotated, {t['skipped']} skipped, {t['remaining']} remaining"
    )
    for name, counts in report.annotators.items():
        click.echo(f"  {name}: {counts.get('annotations', 0)} annotations, {counts.get('cancelled', 0)} skipped")
    for version, n in report.predictions.items():
        click.echo(f"  predictions {version}: {n}")
    if report.overlap.get("annotators", 1) > 1:
        click.echo(f"overlap: {report.overlap['share']}% of the tasks to {report.overlap['annotators']} annotators")
    for needed, counts in report.overlap_tasks.items():
        click.echo(f"  {counts['tasks']} tasks need {needed} annotator(s): {counts['reached']} reached it")
    for version, by_label in report.acceptance.items():
        click.echo(f"acceptance of {version}:")
        click.echo(f"  {'label':10} " + " ".join(f"{o:>8}" for o in OUTCOMES))
        for label, counts in by_label.items():
            click.echo(f"  {label:10} " + " ".join(f"{counts.get(o, 0):8}" for o in OUTCOMES))
    if report.annotation_time:
        click.echo("annotation time (seconds), by the pre-annotation it was started from:")
        click.echo(f"  {'':32} {'submitted':>9} {'skipped':>8} {'timed':>6} {'mean':>8} {'median':>8}")
        for version, t in report.annotation_time.items():
            mean, median = (
                f"{v:8.1f}" if v is not None else f"{'-':>8}" for v in (t["mean_seconds"], t["median_seconds"])
            )
            click.echo(f"  {version:32} {t['annotations']:9} {t['skipped']:8} {t['timed']:6} {mean} {median}")


@cli.command(name="agreement")
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print the agreement as JSON.")
@schema_option
@data_dir_option
def agreement_command(project, as_json, schema_path, data_dir):
    """Inter-annotator agreement on documents with two or more annotators.

    Pairwise span F1 per label, strict (same boundaries and label) and partial (same label,
    overlapping: an exact match counts 1, an overlap 1/2), each annotator counted once per task
    (their latest annotation); each annotator against the ground truth, which is the reference and
    not an annotator; chance-corrected, between the annotators: Krippendorff's alpha over the
    tokens' IOB2 tags (all tags and per label), Cohen's kappa and relation F1 (type and both
    endpoints the same) per pair; and one line per disagreement to adjudicate: the span, who drew
    it and who did not.
    """
    from dataclasses import asdict

    report = api.project_agreement(project, schema=schema_path, data_dir=data_dir)
    if as_json:
        click.echo(
            json.dumps({**report.to_dict(), "disagreements": [asdict(d) for d in report.disagreements]}, indent=2)
        )
        return
    click.echo(f"{report.documents} documents with two or more annotators (or one and a ground truth)")
    click.echo(report.table())
    for d in report.disagreements:
        click.echo(
            f"  {d.document} (task {d.task_id}): {d.label} {d.text!r} [{d.start}, {d.end}) "
            f"drawn by {', '.join(d.drawn_by)}, not by {', '.join(d.not_by)}"
        )


@cli.command(name="adjudicate")
@project_option
@click.option(
    "--reviewer",
    "reviewer",
    default=None,
    metavar="EMAIL",
    help="Also settle a task by any annotation this person submitted after its vote prediction.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was found and done as JSON.")
@schema_option
@data_dir_option
def adjudicate_command(project, reviewer, as_json, schema_path, data_dir):
    """Queue the tasks whose annotators disagree for a reviewer, and settle the reviewed ones.

    A task whose annotators disagree (as `annotate agreement` compares them) gets a prediction
    (model version `adjudication`) holding the vote, spans and relations more than half drew, and
    the disputed spans, scored by their share of the votes (0.50 or less: disputed) with who drew
    them in their meta; the tab "to adjudicate" holds exactly these tasks. The reviewer opens a
    task there, chooses the `adjudication` tab, "Duplicate Annotation", deletes what to reject and
    submits; the next run makes that annotation the task's ground truth, which `annotate export`
    takes over the votes. Run it again after reviewing: settled tasks get nothing new.
    """
    report = api.adjudicate_project(project, reviewer=reviewer, schema=schema_path, data_dir=data_dir)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    click.echo(
        f"{len(report.settled)} task(s) settled: the reviewer's annotation is now their ground truth"
        + (f" ({', '.join(map(str, report.settled))})" if report.settled else "")
    )
    click.echo(
        f"{len(report.to_adjudicate)} task(s) to adjudicate; {report.added} vote prediction(s) added, "
        f"{report.replaced} replaced, {report.withdrawn} withdrawn"
    )
    for d in report.decisions:
        if d.to_adjudicate:
            click.echo(
                f"  {d.document} (task {d.task_id}): {d.disputed} disputed span(s) or relation(s) between "
                f"{', '.join(d.annotators)}"
            )
    click.echo(f"tab 'to adjudicate' ({report.view}): {report.url}")


def _f1(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def _loop_line(record: dict) -> str:
    """One line on stderr per event of `annotate loop` (WORK/loop.jsonl has every field)."""
    event, r = record["event"], record
    if event == "round":
        dev = r.get("dev")
        score = (
            (
                f"dev strict F1 {_f1(dev['strict']['f1'])}, partial {_f1(dev['partial']['f1'])} "
                f"({dev['documents']} validation documents)"
            )
            if dev
            else (r.get("dev_note") or "no dev score")
        )
        return (
            f"round {r['round']}: {r['annotations']} annotations used ({r['documents']} documents, "
            f"{r.get('train_documents')} to train), model_version {r['model_version']}, {score}, "
            f"{r['tasks_predicted']} of {r['unannotated_tasks']} unannotated tasks predicted "
            f"({r.get('tasks_without_spans', 0)} with no span found), {r['seconds']} s"
        )
    lines = {
        "started": lambda: (
            f"started on project {r['project']!r}: a round every {r['every']} new annotations, "
            f"looking every {r['poll']} s; last round {r['round']} ({r['annotations']} annotations)"
        ),
        "waiting": lambda: f"waiting: {r['why']}",
        "lease-acquired": lambda: (
            f"lease acquired ({r['owner']}); last round {r['round']} "
            f"({r['annotations']} annotations, {r.get('model_version') or 'no model yet'})"
        ),
        "lease-released": lambda: f"lease released ({r['owner']})",
        "lease-not-released": lambda: f"lease not released ({r['error']}); it expires in {r['expires_in']} s",
        "lease-lost": lambda: f"lease lost: {r.get('detail') or 'held by ' + str(r.get('holder'))}",
        "round-started": lambda: f"round {r['round']} started: {r['annotations']} annotations",
        "round-failed": lambda: f"round {r['round']} not done: {r['error']}; trying again after more annotations",
        "server-unreachable": lambda: (
            f"server unreachable: {r['error']}; asking again in {r['retry_seconds']} s, "
            f"then less often (up to every {r['backoff_max']} s)"
        ),
        "server-back": lambda: f"server answers again after {r['seconds']} s; going on",
        "stopped": lambda: f"stopped after round {r['round']}",
    }
    if event in lines:
        return lines[event]()
    fields = ", ".join(f"{k} {v}" for k, v in r.items() if k not in ("time", "event") and v is not None)
    return f"{event}" + (f": {fields}" if fields else "")


@cli.command()
@project_option
@click.option(
    "--every",
    type=checked("every"),
    default=20,
    show_default=True,
    metavar="N",
    help="Start a round after every N new submitted annotations.",
)
@click.option(
    "--poll",
    type=checked("poll"),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="Seconds between two looks at the project's annotation count.",
)
@click.option(
    "--work",
    type=click.Path(file_okay=False),
    default=None,
    help="The loop's folder: state.json, loop.jsonl, the latest export and model "
    "(default: .newsgold-loop/<project> of the current folder).",
)
@click.option(
    "--lease",
    type=checked("lease"),
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="How long the lease lasts unless renewed (a loop killed with -9 is replaced after it).",
)
@click.option(
    "--features",
    type=click.Choice(["pipeline", "plain"]),
    default="pipeline",
    show_default=True,
    help="The tagger's features (as train fit --features).",
)
@click.option("--seed", type=checked("seed"), default=None, help="Seed of the export's story-to-split assignment.")
@click.option(
    "--ratios", type=RATIOS, default=None, help="The export's train,validation,test shares (default 0.8,0.1,0.1)."
)
@schema_option
@data_dir_option
def loop(project, every, poll, work, lease, features, seed, ratios, schema_path, data_dir):
    """Retrain the team's model after every N new annotations and push its predictions.

    Polls the project; after N new submitted annotations it exports them, fits the tagger, and
    pushes the rules merged with it to the tasks nobody has annotated yet, as a new round the
    project shows (tab "least confident first" orders by it). One line per event on stderr,
    the same as JSON in WORK/loop.jsonl. Only one loop per project trains at a time, also across
    machines (a lease held in Label Studio); a restarted loop goes on from WORK/state.json. Runs
    until Ctrl-C (exit 130) or SIGTERM (exit 143), releasing the lease.
    """
    from pathlib import Path

    if work is None:
        import re

        work = Path(".newsgold-loop") / (re.sub(r"[^A-Za-z0-9._-]+", "-", project).strip("-.") or "project")
    api.run_loop(
        project,
        work,
        every,
        poll=poll,
        lease=lease,
        features=features,
        seed=seed,
        ratios=ratios,
        schema=schema_path,
        data_dir=data_dir,
        log=lambda record: click.echo(f"loop: {_loop_line(record)}", err=True),
    )
