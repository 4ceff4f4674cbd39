"""The commands of a team's workflow on Label Studio: agreement, adjudicate, loop."""

from __future__ import annotations

import json

import click

from newsgold.annotate.cli import cli
from newsgold.annotate.cli.common import api, data_dir_option, project_option
from newsgold.annotate.clikit import RATIOS, checked, schema_option


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
