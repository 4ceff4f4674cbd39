"""A team's workflow on PostgreSQL behind two app servers, as a team runs behind a load balancer:
adjudication (annotators disagree through one server, `adjudicate` runs through the other, the
reviewer's decision becomes the ground truth and the export holds exactly it), and `annotate
loop` on two machines, each talking to another app server: one trains, the other waits on the
lease in the shared database and takes over with the state when the first is stopped."""

import os
import shutil
import signal

import pytest

from newsgold.annotate import api
from newsgold.annotate.export.batches import split_of
from newsgold.annotate.studio import server
from newsgold.annotate.studio.adjudicate import VERSION
from newsgold.annotate.studio.client import LabelStudio
from tests.e2e.test_adjudicate_browser import COMMON, DISPUTED, FIRST, SECOND, key, span
from tests.e2e.test_loop_rounds import RATIOS, SEED, TEXTS, annotate_tasks, claims, events, start_loop, stop, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def team(pg_servers, monkeypatch, tmp_path):
    """The two app servers, a client of each, and the environment of a process using the first."""
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", server.DATA_DIR_ENV, "NEWSGOLD_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    running, token = pg_servers
    return running, [LabelStudio(one.url, token) for one in running]


def test_adjudication_across_two_app_servers(team, tmp_path):
    running, (first, second) = team
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(DISPUTED + "\n")
    api.push_documents([folder], "pg adjudicate", preannotator=False, data_dir=running[0].data_dir)
    project = second.find_project("pg adjudicate")
    (task,) = second.iter_tasks(project, fields="all")
    one, two, reviewer = (second.create_user(f"pg-adj{n}@newsgold.local", f"pg-adj-pass-{n}") for n in (1, 2, 3))
    second.create_annotation(task["id"], FIRST, user_id=one)
    second.create_annotation(task["id"], SECOND, user_id=two)

    queued = api.adjudicate_project("pg adjudicate", data_dir=running[0].data_dir)
    assert queued.to_adjudicate == [task["id"]] and queued.added == 1 and queued.settled == []
    (vote,) = [
        p for p in next(second.iter_tasks(project, fields="all"))["predictions"] if p["model_version"] == VERSION
    ]
    assert {r["value"]["text"] for r in vote["result"] if r["type"] == "labels"} == {
        "40",
        "crossed",
        "Pakistan",
        "Officials",
        "Taliban fighters",
        "Taliban",
    }

    # the reviewer keeps "Taliban fighters" and rejects the rest of the dispute, through the first server
    decision = COMMON + [
        span(DISPUTED, "Taliban fighters", "ACTOR", "t"),
        {"type": "relation", "from_id": "x", "to_id": "t", "direction": "right", "labels": ["agent"]},
    ]
    settled_by = first.create_annotation(task["id"], decision, user_id=reviewer)
    settled = api.adjudicate_project("pg adjudicate", reviewer="pg-adj3@newsgold.local", data_dir=running[1].data_dir)
    assert settled.settled == [task["id"]] and settled.to_adjudicate == [] and settled.added == 0
    annotations = next(first.iter_tasks(project, fields="all"))["annotations"]
    assert [a["id"] for a in annotations if a["ground_truth"]] == [settled_by]

    out = tmp_path / "export"
    api.export_dataset(out, project="pg adjudicate", data_dir=running[0].data_dir)
    from datasets import load_from_disk

    (row,) = [row for split in load_from_disk(str(out)).values() for row in split]
    wanted = {key(r) for r in decision if r["type"] == "labels"}
    assert {(s["start"], s["end"], s["label"]) for s in row["spans"]} == wanted
    texts = {s["id"]: s["text"] for s in row["spans"]}
    assert {(texts[r["head"]], texts[r["tail"]], r["label"]) for r in row["relations"]} == {
        ("crossed", "Pakistan", "place"),
        ("crossed", "Taliban fighters", "agent"),
    }
    again = api.adjudicate_project("pg adjudicate", data_dir=running[1].data_dir)
    assert (again.to_adjudicate, again.added, again.replaced, again.withdrawn, again.settled) == ([], 0, 0, 0, [])


def test_the_loop_lease_holds_across_two_app_servers(team, tmp_path):
    running, (first, second) = team
    title = "pg loop rounds"
    docs = tmp_path / "docs"
    docs.mkdir()
    for number, text in enumerate(TEXTS):
        (docs / f"{number:02}.txt").write_text(text)
    api.push_documents([docs], title, data_dir=running[0].data_dir)
    project = first.find_project(title)
    tasks = sorted(first.iter_tasks(project, fields="all"), key=lambda t: t["data"]["source"])
    by_split = {}
    for task in tasks:
        by_split.setdefault(split_of(task["data"]["story_id"], SEED, RATIOS), []).append(task)

    base = {k: v for k, v in os.environ.items() if k not in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
    other_cache = tmp_path / "other-machine-cache"  # the second machine: its own cache and lock file
    shutil.copytree(base["NEWSGOLD_CACHE"], other_cache, ignore=shutil.ignore_patterns("loop-locks"))
    machines = [
        {**base, server.DATA_DIR_ENV: str(running[0].data_dir)},
        {**base, server.DATA_DIR_ENV: str(running[1].data_dir), "NEWSGOLD_CACHE": str(other_cache)},
    ]
    one, two = tmp_path / "one", tmp_path / "two"
    loops = []
    try:
        loops.append(start_loop(one, machines[0], project=title))
        wait_for(one, "lease-acquired", process=loops[0])
        loops.append(start_loop(two, machines[1], project=title))
        assert "lease held by" in wait_for(two, "waiting", process=loops[1])["why"]

        annotate_tasks(second, [by_split["train"][0], by_split["validation"][0]])
        round_one = wait_for(one, "round", process=loops[0])
        assert round_one["round"] == 1 and round_one["annotations"] == 2
        assert not [r for r in events(two) if r["event"] in ("lease-acquired", "round-started")]

        loops[0].send_signal(signal.SIGTERM)
        assert loops[0].wait(timeout=60) == 143
        taken = wait_for(two, "lease-acquired", process=loops[1], timeout=60)
        assert taken["round"] == 1 and taken["model_version"] == round_one["model_version"]
        assert [c["owner"] for c in claims(first, project) if c["expires"]] == [taken["owner"]]
        assert not [r for r in events(two) if r["event"] == "round-started"]  # nothing trained twice
        loops[1].send_signal(signal.SIGTERM)
        assert loops[1].wait(timeout=60) == 143
    finally:
        for process in loops:
            stop(process)
