"""The commands that set up and feed Label Studio: server, push, status."""

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
from newsgold.annotate.clikit import Bars, InputFile, checked, schema_option


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
