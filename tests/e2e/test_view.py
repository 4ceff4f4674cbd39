"""The Data Manager tab "least confident first" and the annotation time of `annotate status`,
against a real Label Studio."""

import json
import threading

import httpx
import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.schema import labelstudio_config, load_schema
from newsgold.annotate.studio import server
from newsgold.annotate.studio.client import LabelStudio
from newsgold.annotate.studio.push import describe
from newsgold.annotate.studio.views import ORDERING, SCORE_COLUMN, TITLE, ensure_view

pytestmark = pytest.mark.e2e

TEXTS = [
    "Officials said 40 Taliban fighters crossed into Pakistan on Tuesday.",
    "The army attacked rebels in Kabul on Monday, police said.",
    "Three soldiers were killed near Herat, officials said.",
    "Protesters marched through Kandahar on Friday.",
]
SCORES = [0.9, 0.2, 0.6, 0.4]


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def documents(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps({"text": text}) + "\n" for text in TEXTS))
    return path


def scored_round(tmp_path, version="probe-v1"):
    """Rule pre-annotations of the documents, each under `version` with its score from SCORES."""
    pre = tmp_path / "pre.jsonl"
    run("preannotate", documents(tmp_path), "-o", pre)
    records = [json.loads(line) for line in pre.read_text().splitlines()]
    for record, score in zip(records, SCORES):
        record.update(model_version=version, score=score)
        for span in record["spans"]:
            span["score"] = score
    path = tmp_path / f"{version}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def our_tabs(client, project):
    return [view for view in client.views(project) if view["data"].get("title") == TITLE]


def tasks_through(ls_server, view_id):
    """The tasks of a tab as the Data Manager lists them (its REST API, not newsgold's code)."""
    token = server.credentials(ls_server.data_dir)["token"]
    answer = httpx.get(
        f"{ls_server.url}/api/tasks",
        params={"view": view_id, "fields": "all", "page_size": 100},
        headers={"Authorization": f"Token {token}"},
        timeout=60,
    )
    answer.raise_for_status()
    return answer.json()["tasks"]


def test_push_makes_one_tab_that_lists_the_least_confident_first(ls_env, ls_client, tmp_path):
    first = run("push", documents(tmp_path), "--project", "least confident", "--no-preannotate")
    assert f"Data Manager tab {TITLE!r} created" in first
    predicted = run("push", "--predictions", scored_round(tmp_path), "--project", "least confident")
    assert "4 predictions added" in predicted and "tab" not in predicted
    project = ls_client.find_project("least confident")
    (tab,) = our_tabs(ls_client, project)
    assert f"?tab={tab['id']}" in first
    assert tab["data"]["ordering"] == ORDERING and SCORE_COLUMN not in tab["data"]["hiddenColumns"]["explore"]
    listed = tasks_through(ls_env, tab["id"])
    assert [t["predictions_score"] for t in listed] == sorted(SCORES)
    assert [t["data"]["text"] for t in listed] == [TEXTS[SCORES.index(s)] for s in sorted(SCORES)]
    # the project had chosen no model version: the round pushed is the one shown and averaged
    assert ls_client.shown_model_version(project) == "probe-v1"
    again = run("push", documents(tmp_path), "--project", "least confident")
    run("push", "--predictions", scored_round(tmp_path), "--project", "least confident")
    assert "tab" not in again.split("open ")[0]
    assert len(our_tabs(ls_client, project)) == 1


def test_a_new_round_is_shown_and_a_rules_push_does_not_take_the_display_back(ls_env, ls_client, tmp_path):
    run("push", documents(tmp_path), "--project", "two rounds")  # the rules: the project's model version
    project = ls_client.find_project("two rounds")
    rules_version = ls_client.shown_model_version(project)
    assert rules_version.startswith("rules-")
    result = CliRunner().invoke(
        cli, ["push", "--predictions", str(scored_round(tmp_path, "tagger-v2")), "--project", "two rounds"]
    )
    assert result.exit_code == 0, result.output
    # a round pushed on purpose is the one annotators see next, and the tab follows it
    assert (
        f"now pre-labels tasks with, and orders tab 'least confident first' by, 'tagger-v2' (was {rules_version!r})"
        in result.output
    )
    assert ls_client.shown_model_version(project) == "tagger-v2"
    (tab,) = our_tabs(ls_client, project)
    assert [t["predictions_score"] for t in tasks_through(ls_env, tab["id"])] == sorted(SCORES)
    # a rules-only push of more documents leaves the model's round shown, and says what that means
    more = tmp_path / "more"
    more.mkdir()
    (more / "late.txt").write_text("Rebels seized Kunduz on Monday, officials said.\n")
    output = run("push", str(more), "--project", "two rounds")
    assert "orders tab 'least confident first' by, the predictions of model version 'tagger-v2', not rules-" in output
    assert ls_client.shown_model_version(project) == "tagger-v2"


def test_push_puts_back_the_order_and_score_column_and_keeps_the_teams_filter(ls_env, ls_client, tmp_path):
    run("push", documents(tmp_path), "--project", "tab changed")
    project = ls_client.find_project("tab changed")
    (tab,) = our_tabs(ls_client, project)
    changed = {
        **tab["data"],
        "ordering": ["-tasks:id"],
        "hiddenColumns": {
            **tab["data"]["hiddenColumns"],
            "explore": tab["data"]["hiddenColumns"]["explore"] + [SCORE_COLUMN],
        },
        "filters": {
            "conjunction": "and",
            "items": [{"filter": "filter:tasks:total_annotations", "operator": "equal", "type": "Number", "value": 0}],
        },
    }
    ls_client.update_view(project, tab["id"], changed)  # as the web UI saves a tab someone sorted
    assert our_tabs(ls_client, project)[0]["data"]["ordering"] == ["-tasks:id"]
    output = run("push", documents(tmp_path), "--project", "tab changed")
    assert f"Data Manager tab {TITLE!r} repaired" in output
    (repaired,) = our_tabs(ls_client, project)
    assert repaired["id"] == tab["id"] and repaired["data"]["ordering"] == ORDERING
    assert SCORE_COLUMN not in repaired["data"]["hiddenColumns"]["explore"]
    assert repaired["data"]["filters"]["items"][0]["filter"] == "filter:tasks:total_annotations"


def test_a_project_newsgold_did_not_create_keeps_its_tabs_and_gets_ours_once(ls_env, ls_client, tmp_path):
    schema = load_schema()
    project = ls_client.create_project("made by hand", labelstudio_config(schema), "", describe(schema))
    ls_client.create_view(project, {"title": "Default", "ordering": ["tasks:id"]})
    for _ in range(2):
        run("push", documents(tmp_path), "--project", "made by hand")
    titles = [view["data"]["title"] for view in ls_client.views(project)]
    assert titles == ["Default", TITLE]
    assert ls_client.views(project)[0]["data"]["ordering"] == ["tasks:id"]


def test_pushes_making_the_tab_at_once_leave_one(ls_env, ls_client, tmp_path):
    run("push", documents(tmp_path), "--project", "tab race", "--no-preannotate")
    project = ls_client.find_project("tab race")
    for view in ls_client.views(project):
        ls_client.delete_view(project, view["id"])
    token = server.credentials(ls_env.data_dir)["token"]
    start, outcomes = threading.Barrier(4), []

    def push_tab():
        client = LabelStudio(ls_env.url, token)
        start.wait()
        outcomes.append(ensure_view(client, project))

    threads = [threading.Thread(target=push_tab) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    (tab,) = our_tabs(ls_client, project)
    assert len(outcomes) == 4 and {view_id for view_id, _ in outcomes} == {tab["id"]}
    assert [outcome for _, outcome in outcomes].count("created") == 1


def test_status_gives_the_annotation_time_per_pre_annotation(ls_env, ls_client, tmp_path):
    run("push", documents(tmp_path), "--project", "time spent")
    project = ls_client.find_project("time spent")
    one, two, three, four = sorted(ls_client.iter_tasks(project, fields="all"), key=lambda t: t["id"])
    version = one["predictions"][0]["model_version"]
    # as the web UI sends them: seconds spent, and the prediction the editor was opened on
    ls_client.create_annotation(
        one["id"], one["predictions"][0]["result"], lead_time=20.0, parent_prediction=one["predictions"][0]["id"]
    )
    ls_client.create_annotation(two["id"], [], lead_time=40.0, parent_prediction=two["predictions"][0]["id"])
    ls_client.create_annotation(three["id"], [], lead_time=90.0, parent_prediction=three["predictions"][0]["id"])
    ls_client.create_annotation(four["id"], [], lead_time=5.0)  # begun from an empty annotation
    ls_client.create_annotation(four["id"], [], lead_time=600.0, cancelled=True)
    report = json.loads(run("status", "--project", "time spent", "--json"))
    assert report["annotation_time"] == {
        version: {"annotations": 3, "skipped": 0, "timed": 3, "mean_seconds": 50.0, "median_seconds": 40.0},
        "(no pre-annotation)": {"annotations": 1, "skipped": 1, "timed": 1, "mean_seconds": 5.0, "median_seconds": 5.0},
    }
    table = run("status", "--project", "time spent")
    assert "annotation time (seconds), by the pre-annotation it was started from:" in table
    assert any(line.split() == [version, "3", "0", "3", "50.0", "40.0"] for line in table.splitlines())
