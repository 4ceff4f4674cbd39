"""A live project's export goes through a Label Studio export snapshot: created, polled, streamed
to a temporary file, converted with progress (tasks converted, of the project's tasks), and the
snapshot and the temporary file are gone afterwards, also when the download is cut short."""

import json

import pytest
from click.testing import CliRunner

import newsgold.annotate.studio.client as labelstudio
from newsgold.annotate import api
from newsgold.annotate.cli import cli
from tests.conftest import SEEDS

pytestmark = pytest.mark.e2e

EXTRA = "Officials said 40 Taliban fighters crossed into Pakistan on Tuesday."


def regions(task):
    return [r for r in task["predictions"][0]["result"] if r["type"] == "labels"]


def test_the_export_of_a_live_project_holds_every_annotation_and_leaves_nothing_behind(ls_env, ls_client, tmp_path):
    extra = tmp_path / "extra.txt"
    extra.write_text(EXTRA)
    assert CliRunner().invoke(cli, ["push", str(SEEDS), str(extra), "--project", "snapshot"]).exit_code == 0
    project = ls_client.find_project("snapshot")
    tasks = sorted(ls_client.iter_tasks(project, fields="all"), key=lambda t: t["id"])
    first, second, third = tasks[:3]
    other = ls_client.create_user("snap@newsgold.local", "snap-pass-1")
    drawn = {
        first["id"]: [regions(first)[0]],
        second["id"]: regions(second)[:2],
        third["id"]: [regions(third)[0]],
    }
    ls_client.create_annotation(first["id"], drawn[first["id"]])
    ls_client.create_annotation(second["id"], drawn[second["id"]], user_id=other)
    ls_client.create_annotation(third["id"], [], cancelled=True)  # skipped: not exported, but counted
    ls_client.create_annotation(third["id"], drawn[third["id"]], ground_truth=True)

    calls = []
    out = tmp_path / "ds"
    report = api.export_dataset(out, project="snapshot", progress=lambda *call: calls.append(call))

    # every human annotation is in the dataset, each span where the annotator drew it
    from datasets import load_from_disk

    rows = {
        json.loads(row["provenance"])["task_id"]: row for split in load_from_disk(str(out)).values() for row in split
    }
    assert sorted(rows) == sorted(drawn) and report.documents == 3
    for task_id, result in drawn.items():
        want = sorted((r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in result)
        assert sorted((s["start"], s["end"], s["label"]) for s in rows[task_id]["spans"]) == want
    # progress: a stage line while the snapshot is made and read, then tasks converted of all tasks
    stages = [stage for stage, _, _ in calls]
    assert stages[0] == labelstudio.SNAPSHOT_STAGE and "exporting" in stages
    converted = [(advance, total) for stage, advance, total in calls if stage == "exporting"]
    assert {total for _, total in converted} == {len(tasks)}
    assert sum(advance for advance, _ in converted) == len(tasks)
    # nothing left: no temporary download beside the dataset, no snapshot on the server (Label
    # Studio's Community Edition keeps a deleted snapshot's file in its media/export folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "extra.txt"]
    assert ls_client.export_snapshots(project) == []

    # the CLI's agreement reads the same snapshot path, and removes its snapshot too
    result = CliRunner().invoke(cli, ["agreement", "--project", "snapshot", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["documents"] == 0
    assert ls_client.export_snapshots(project) == []


def test_a_download_cut_short_removes_the_snapshot(ls_env, ls_client, tmp_path, monkeypatch):
    extra = tmp_path / "extra.txt"
    extra.write_text(EXTRA)
    assert CliRunner().invoke(cli, ["push", str(extra), "--project", "snapshot cut"]).exit_code == 0
    project = ls_client.find_project("snapshot cut")
    monkeypatch.setattr(labelstudio, "DOWNLOAD_CHUNK", 64)
    chunks = ls_client.export_chunks(project)
    assert next(chunks).startswith(b"[")
    assert ls_client.export_snapshots(project) != []  # made, and being read
    chunks.close()  # what Ctrl-C or SIGTERM (`clikit.run`) does to the download's generator
    assert ls_client.export_snapshots(project) == []
