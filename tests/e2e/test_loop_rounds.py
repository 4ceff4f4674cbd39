"""`annotate loop` against a real Label Studio, as real processes: a round after every 2 new
annotations, its predictions on exactly the unannotated tasks under the project's new model
version; a second loop (another machine: its own cache, so its own lock file) waits on the lease
in Label Studio and takes over, with the state, when the first is sent SIGTERM; a stop and
restart of the server while the loop runs is logged and the loop goes on to its next round."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.export.batches import split_of
from newsgold.annotate.studio import server
from newsgold.annotate.studio.lease import KEY
from newsgold.annotate.studio.lease import TITLE as LEASE_TITLE

pytestmark = pytest.mark.e2e

PROJECT = "loop rounds"
SEED, RATIOS = 13, (0.5, 0.5, 0.0)
TEXTS = [
    "Police said 12 protesters were arrested in Nairobi on Monday after clashes with security forces.",
    "Rebels attacked a military base near Goma, killing 5 soldiers, the army said on Tuesday.",
    "Israeli troops raided the town of Jenin and detained 3 Palestinians, witnesses said.",
    "A suicide bomber killed 20 people at a market in Baghdad, Iraqi officials said.",
    "Farmers blocked roads outside Paris to protest against new taxes, police said.",
    "Taliban fighters seized two districts in Helmand province after days of fighting.",
    "The United Nations sent 40 trucks of food aid to refugees in northern Syria.",
    "Students marched through Santiago demanding free education, and police fired tear gas.",
]


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def events(work: Path) -> list[dict]:
    path = work / "loop.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def wait_for(work: Path, event: str, after: int = 0, timeout: float = 240, process=None) -> dict:
    """The first record of `event` past the first `after` records of the loop's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [r for r in events(work)[after:] if r["event"] == event]
        if found:
            return found[0]
        if process is not None and process.poll() is not None:
            pytest.fail(f"the loop exited {process.returncode} before {event!r}: {events(work)}")
        time.sleep(0.5)
    pytest.fail(f"no {event!r} within {timeout} s: {events(work)}")


def start_loop(work: Path, env: dict, *extra: str, project: str = PROJECT) -> subprocess.Popen:
    annotate = Path(sys.executable).parent / "annotate"
    work.mkdir(exist_ok=True)
    return subprocess.Popen(
        [
            str(annotate),
            "loop",
            "--project",
            project,
            "--every",
            "2",
            "--poll",
            "1",
            "--work",
            str(work),
            "--features",
            "plain",
            "--seed",
            str(SEED),
            "--ratios",
            ",".join(map(str, RATIOS)),
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=open(work.parent / f"{work.name}.stderr", "w"),
        text=True,
    )


def annotate_tasks(client, tasks) -> None:
    for task in tasks:
        regions = [r for r in task["predictions"][0]["result"] if r["type"] == "labels"]
        client.create_annotation(task["id"], regions)


def predicted(client, project, version) -> set[int]:
    return {
        t["id"]
        for t in client.iter_tasks(project, fields="all")
        if any(p["model_version"] == version for p in t["predictions"])
    }


def unannotated(client, project) -> set[int]:
    return {t["id"] for t in client.iter_tasks(project, fields="all") if not t["annotations"]}


def claims(client, project) -> list[dict]:
    return [v["data"][KEY] for v in client.views(project) if v["data"].get("title") == LEASE_TITLE]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def test_rounds_start_themselves_one_trainer_at_a_time_through_a_restart(ls_env, ls_client, tmp_path):
    started = time.monotonic()
    docs = tmp_path / "docs"
    docs.mkdir()
    for number, text in enumerate(TEXTS):
        (docs / f"{number:02}.txt").write_text(text)
    run("push", docs, "--project", PROJECT)
    project = ls_client.find_project(PROJECT)
    tasks = sorted(ls_client.iter_tasks(project, fields="all"), key=lambda t: t["data"]["source"])
    assert len(tasks) == len(TEXTS) and all(t["predictions"] for t in tasks)
    rules = ls_client.shown_model_version(project)
    by_split = {}
    for task in tasks:
        by_split.setdefault(split_of(task["data"]["story_id"], SEED, RATIOS), []).append(task)
    first = [by_split["train"][0], by_split["validation"][0]]  # a model to fit and a dev score
    rest = [t for t in tasks if t not in first]

    env = dict(os.environ)
    other_cache = tmp_path / "other-machine-cache"  # a second machine: its own lock file
    shutil.copytree(env["NEWSGOLD_CACHE"], other_cache, ignore=shutil.ignore_patterns("loop-locks"))
    one, two = tmp_path / "one", tmp_path / "two"
    loop_one = start_loop(one, env)
    loop_two = loop_three = loop_four = None
    try:
        wait_for(one, "lease-acquired", process=loop_one)
        annotate_tasks(ls_client, first)
        round_one = wait_for(one, "round", process=loop_one)
        version = round_one["model_version"]
        assert round_one["round"] == 1 and round_one["annotations"] == 2
        assert version.startswith(rules + "+") and version != rules
        assert round_one["dev"]["split"] == "validation" and round_one["dev"]["documents"] == 1
        open_tasks = unannotated(ls_client, project)
        assert open_tasks == {t["id"] for t in rest} and round_one["unannotated_tasks"] == len(rest)
        # every unannotated task got the round, except those where it found no span (nothing is stored)
        got = predicted(ls_client, project, version)
        assert got <= open_tasks and got
        assert round_one["tasks_predicted"] == len(got) == len(rest) - round_one["tasks_without_spans"]
        assert ls_client.shown_model_version(project) == version  # "least confident first" orders by it
        state = json.loads((one / "state.json").read_text())
        assert state["round"] == 1 and state["model_version"] == version
        assert "round 1: 2 annotations used" in (tmp_path / "one.stderr").read_text()

        loop_two = start_loop(two, {**env, "NEWSGOLD_CACHE": str(other_cache)})
        waiting = wait_for(two, "waiting", process=loop_two)
        assert "lease held by" in waiting["why"]
        time.sleep(3)
        assert not [r for r in events(two) if r["event"] == "lease-acquired"]

        loop_one.send_signal(signal.SIGTERM)
        assert loop_one.wait(timeout=60) == 143
        err = (tmp_path / "one.stderr").read_text()
        assert err.strip().splitlines()[-1] == "loop: stopped after round 1" and "Terminated:" in err
        assert [r["event"] for r in events(one)][-2:] == ["lease-released", "stopped"]
        taken = wait_for(two, "lease-acquired", process=loop_two, timeout=60)
        assert taken["round"] == 1 and taken["model_version"] == version  # the state came with the lease
        live = [c for c in claims(ls_client, project) if c["expires"]]
        assert [c["owner"] for c in live] == [taken["owner"]]

        seen = len(events(two))
        server.stop(ls_env.data_dir)
        wait_for(two, "server-unreachable", after=seen, process=loop_two, timeout=60)
        time.sleep(3)
        server.start(ls_env.data_dir, port=int(ls_env.url.rsplit(":", 1)[1]))
        wait_for(two, "server-back", after=seen, process=loop_two, timeout=120)
        assert not [r for r in events(two) if r["event"] == "round-started"]  # nothing retrained

        annotate_tasks(ls_client, rest[:2])
        round_two = wait_for(two, "round", after=seen, process=loop_two)
        assert round_two["round"] == 2 and round_two["annotations"] == 4
        assert round_two["model_version"] not in (version, rules)
        left = {t["id"] for t in rest[2:]}
        got = predicted(ls_client, project, round_two["model_version"])
        assert unannotated(ls_client, project) == left and got <= left
        assert round_two["tasks_predicted"] == len(got) == len(left) - round_two["tasks_without_spans"]
        assert ls_client.shown_model_version(project) == round_two["model_version"]

        loop_two.send_signal(signal.SIGTERM)
        assert loop_two.wait(timeout=60) == 143
        assert not [c for c in claims(ls_client, project) if c["expires"]]  # released: nobody holds it

        # a holder killed with -9 releases nothing: its claim expires (--lease 5) and the next takes over
        three, four = tmp_path / "three", tmp_path / "four"
        loop_three = start_loop(three, env, "--lease", "5")
        wait_for(three, "lease-acquired", process=loop_three)
        loop_three.kill()
        loop_three.wait()
        killed_at = time.monotonic()
        loop_four = start_loop(four, {**env, "NEWSGOLD_CACHE": str(other_cache)}, "--lease", "5")
        taken = wait_for(four, "lease-acquired", process=loop_four, timeout=60)
        assert taken["round"] == 2 and time.monotonic() - killed_at >= 4  # not before the claim expired
        assert not [r for r in events(four) if r["event"] == "round-started"]
        loop_four.send_signal(signal.SIGTERM)
        assert loop_four.wait(timeout=60) == 143
    finally:
        for process in (loop_one, loop_two, loop_three, loop_four):
            if process is not None:
                stop(process)
    print(f"test_loop_rounds: {time.monotonic() - started:.0f} s")
