"""Issue 23, the hostile user of the team commands against a real Label Studio (the session's
server): a project that does not exist, one made by something other than newsgold, a reviewer
nobody knows, projects with no or one annotator, two `adjudicate` runs at once, a vote prediction
or an annotation deleted in Label Studio between runs, and `annotate loop` killed with -9 in the
middle of a round, then replaced on the same machine and stopped with SIGTERM.

Each refusal is one `Error:` line naming the item, the cause and the fix, a non-zero exit, no
traceback and nothing changed on the server; each legal case gets the right result. The cases
without a server (numbers, addresses, keys, the loop's folder) are in tests/hostile/test_team.py."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsgold.annotate import api
from newsgold.annotate.export.batches import split_of
from newsgold.annotate.studio.adjudicate import VERSION
from newsgold.annotate.studio.views import ADJUDICATE_TITLE
from tests.e2e.test_adjudicate_browser import COMMON, DISPUTED, FIRST, SECOND, span
from tests.e2e.test_loop_rounds import RATIOS, SEED, TEXTS, annotate_tasks, claims, events, start_loop, stop, wait_for
from tests.hostile.kit import assert_ok, assert_refused, invoke

pytestmark = pytest.mark.e2e

AGREED = "A storm struck Kunduz on Tuesday."
FOREIGN = (
    '<View><Text name="text" value="$text"/><Labels name="ner" toName="text">'
    '<Label value="PER"/><Label value="ORG"/></Labels></View>'
)
CHOICES = (
    '<View><Text name="text" value="$text"/><Choices name="mood" toName="text">'
    '<Choice value="calm"/><Choice value="tense"/></Choices></View>'
)


def server_state(client, project) -> tuple:
    """Everything a refused command must leave as it was: tasks with their annotations and
    predictions, and the project's tabs."""
    tasks = sorted(client.iter_tasks(project, fields="all"), key=lambda t: t["id"])
    return (
        [
            (
                t["id"],
                sorted(a["id"] for a in t.get("annotations") or []),
                sorted(p["id"] for p in t.get("predictions") or []),
            )
            for t in tasks
        ],
        [v["id"] for v in client.views(project)],
    )


def votes(client, project, task_id) -> list[int]:
    (task,) = [t for t in client.iter_tasks(project, fields="all") if t["id"] == task_id]
    return sorted(p["id"] for p in task["predictions"] if p["model_version"] == VERSION)


def push(folder: Path, title: str, *texts: str) -> None:
    folder.mkdir(exist_ok=True)
    for number, text in enumerate(texts):
        (folder / f"{number:02}.txt").write_text(text + "\n")
    assert_ok(invoke(["annotate", "push", folder, "--project", title, "--no-preannotate"]))


@pytest.fixture(scope="module")
def people(ls_server):
    """Three accounts (two annotators and a reviewer) and one known user who annotates nothing."""
    from newsgold.annotate.studio import server
    from newsgold.annotate.studio.client import LabelStudio

    client = LabelStudio(ls_server.url, server.credentials(ls_server.data_dir)["token"])
    emails = [f"hostile-team-{n}@newsgold.local" for n in range(1, 5)]
    return {email: client.create_user(email, f"hostile-pass-{n}") for n, email in enumerate(emails, start=1)}


# ---------------------------------------------------------------------------- projects that cannot be used
@pytest.mark.parametrize("command", ["adjudicate", "agreement", "status", "loop"])
def test_a_project_that_does_not_exist_is_named(ls_env, tmp_path, command):
    extra = ["--work", tmp_path / "work", "--poll", "1"] if command == "loop" else []
    for title in ("no such team project", "  "):
        assert_refused(invoke(["annotate", command, "--project", title, *extra]), repr(title), "does not exist")


@pytest.mark.parametrize(
    "config, said", [(FOREIGN, "label 'ORG'"), (CHOICES, "no Labels control")], ids=["other labels", "classification"]
)
def test_a_project_newsgold_did_not_make_is_refused_by_the_team_commands(
    ls_env, ls_client, people, tmp_path, config, said
):
    title = f"hand made {said.split()[-1].strip(chr(39))}"
    project = ls_client.find_project(title) or ls_client.create_project(title, config, "", "made by hand")
    if not list(ls_client.iter_tasks(project)):
        ls_client.import_tasks(project, [{"text": DISPUTED}])
        (task,) = ls_client.iter_tasks(project)
        control, kind = ("ner", "labels") if config == FOREIGN else ("mood", "choices")
        for n, (user, value) in enumerate(
            zip(people.values(), (["PER"], ["ORG"]) if kind == "labels" else (["calm"], ["tense"])), start=1
        ):
            region = {
                "id": f"r{n}",
                "from_name": control,
                "to_name": "text",
                "type": kind,
                "value": {"start": 0, "end": 9, "text": "Officials", "labels": value}
                if kind == "labels"
                else {"choices": value},
            }
            ls_client.create_annotation(task["id"], [region], user_id=user)
    before = server_state(ls_client, project)
    for command in ("adjudicate", "agreement", "agreement --json", "loop"):
        words = ["annotate", *command.split(), "--project", title]
        words += ["--work", tmp_path / "work", "--poll", "1"] if command == "loop" else []
        line = assert_refused(
            invoke(words), f"project {title!r}", said, f"annotate {command.split()[0]}", "annotate push"
        )
        assert "Traceback" not in line
    assert server_state(ls_client, project) == before  # no vote, no tab, no lease claim
    assert_ok(invoke(["annotate", "status", "--project", title]))  # status reads any project


def test_a_reviewer_nobody_knows_is_refused_and_one_who_reviewed_nothing_settles_nothing(
    ls_env, ls_client, people, tmp_path
):
    title = "team hostile reviewer"
    push(tmp_path / "docs", title, DISPUTED)
    project = ls_client.find_project(title)
    (task,) = ls_client.iter_tasks(project)
    one, two, _, idle = people.values()
    ls_client.create_annotation(task["id"], FIRST, user_id=one)
    ls_client.create_annotation(task["id"], SECOND, user_id=two)
    before = server_state(ls_client, project)
    for reviewer in ("nobody@newsgold.local", "", "HOSTILE-TEAM-3@NEWSGOLD.LOCAL", "hostile-team-3"):
        assert_refused(
            invoke(["annotate", "adjudicate", "--project", title, "--reviewer", reviewer]),
            f"--reviewer {reviewer}",
            "no such user",
            "the email the reviewer logs in with",
        )
    assert server_state(ls_client, project) == before
    idle_email = [email for email, user in people.items() if user == idle][0]
    result = assert_ok(invoke(["annotate", "adjudicate", "--project", title, "--reviewer", idle_email, "--json"]))
    report = json.loads(result.output)
    assert report["settled"] == [] and report["to_adjudicate"] == [task["id"]] and report["added"] == 1


# ---------------------------------------------------------------------------- nobody or one to compare
def test_no_or_one_annotator_leaves_alpha_undefined_and_nothing_to_adjudicate(ls_env, ls_client, people, tmp_path):
    title = "team hostile alone"
    push(tmp_path / "docs", title, DISPUTED, AGREED)
    project = ls_client.find_project(title)
    tasks = {t["data"]["text"]: t for t in ls_client.iter_tasks(project)}
    for annotate_one in (False, True):
        if annotate_one:  # one annotator on one task, and an empty annotation on the other
            one = next(iter(people.values()))
            ls_client.create_annotation(tasks[DISPUTED]["id"], FIRST, user_id=one)
            ls_client.create_annotation(tasks[AGREED]["id"], [], user_id=one)
        report = json.loads(assert_ok(invoke(["annotate", "agreement", "--project", title, "--json"])).output)
        assert report["documents"] == 0 and report["pairs"] == {} and report["disagreements"] == []
        assert report["chance"]["alpha"]["tags"] is None and report["chance"]["kappa"] == {}
        assert "no token annotated by two or more annotators" in report["chance"]["unscored"]["alpha: all tags"]
        text = assert_ok(invoke(["annotate", "agreement", "--project", title])).output
        assert "No document has two or more annotators" in text and "nan" not in text.lower()
        done = json.loads(assert_ok(invoke(["annotate", "adjudicate", "--project", title, "--json"])).output)
        assert (done["to_adjudicate"], done["added"], done["settled"], done["decisions"]) == ([], 0, [], [])
    assert not [p for t in ls_client.iter_tasks(project, fields="all") for p in t["predictions"]]


# ---------------------------------------------------------------------------- races and deletions
def test_adjudicate_runs_at_once_leave_one_vote_and_deletions_are_followed(ls_env, ls_client, people, tmp_path):
    title = "team hostile race"
    push(tmp_path / "docs", title, DISPUTED)
    project = ls_client.find_project(title)
    (task,) = ls_client.iter_tasks(project)
    one, two, reviewer, _ = people.values()
    ls_client.create_annotation(task["id"], FIRST, user_id=one)
    second = ls_client.create_annotation(task["id"], SECOND, user_id=two)

    annotate = Path(sys.executable).parent / "annotate"
    runs = [
        subprocess.Popen(
            [str(annotate), "adjudicate", "--project", title, "--json"],
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    answers = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], answers
    assert all(json.loads(out)["to_adjudicate"] == [task["id"]] for out, _ in answers)
    (vote,) = votes(ls_client, project, task["id"])  # one vote, however many runs added one
    assert len([v for v in ls_client.views(project) if v["data"].get("title") == ADJUDICATE_TITLE]) == 1

    ls_client.delete_prediction(vote)  # deleted by hand in Label Studio: the next run puts it back
    again = api.adjudicate_project(title)
    assert again.added == 1 and again.to_adjudicate == [task["id"]]
    (vote,) = votes(ls_client, project, task["id"])

    decision = COMMON + [span(DISPUTED, "Taliban fighters", "ACTOR", "t")]
    settled_by = ls_client.create_annotation(task["id"], decision, user_id=reviewer, parent_prediction=vote)
    settled = api.adjudicate_project(title)
    assert settled.settled == [task["id"]] and settled.to_adjudicate == []
    ls_client._client.annotations.delete(id=settled_by)  # the ground truth deleted: disputed again
    reopened = api.adjudicate_project(title)
    assert reopened.settled == [] and reopened.to_adjudicate == [task["id"]] and reopened.added == 0
    assert votes(ls_client, project, task["id"]) == [vote]  # the vote it had still stands
    ls_client._client.annotations.delete(id=second)  # one annotator left: nothing to adjudicate
    withdrawn = api.adjudicate_project(title)
    assert withdrawn.withdrawn == 1 and withdrawn.to_adjudicate == [] and votes(ls_client, project, task["id"]) == []
    assert (
        json.loads(assert_ok(invoke(["annotate", "agreement", "--project", title, "--json"])).output)["documents"] == 0
    )


# ---------------------------------------------------------------------------- the loop killed
def test_a_loop_killed_with_9_mid_round_is_taken_over_after_its_lease_and_sigterm_stops_the_next(
    ls_env, ls_client, tmp_path
):
    """Same machine, same --work: the killed loop's lock goes with its process, its lease claim
    only when it expires (--lease 10); the next loop waits for it, takes over, runs the round the
    killed one did not finish, and its state file is whole; then SIGTERM stops it (143), released."""
    title = "team hostile loop"
    docs = tmp_path / "docs"
    docs.mkdir()
    for number, text in enumerate(TEXTS):
        (docs / f"{number:02}.txt").write_text(text)
    assert_ok(invoke(["annotate", "push", docs, "--project", title]))
    project = ls_client.find_project(title)
    tasks = sorted(ls_client.iter_tasks(project, fields="all"), key=lambda t: t["data"]["source"])
    by_split = {}
    for task in tasks:
        by_split.setdefault(split_of(task["data"]["story_id"], SEED, RATIOS), []).append(task)
    work, env = tmp_path / "work", dict(os.environ)
    first = second = None
    try:
        first = start_loop(work, env, "--lease", "10", project=title)
        wait_for(work, "lease-acquired", process=first)
        annotate_tasks(ls_client, [by_split["train"][0], by_split["validation"][0]])
        seen = len(events(work))
        wait_for(work, "round-started", after=seen, process=first)
        first.kill()
        first.wait()
        expected = 2
        if (work / "state.json").exists():  # the round ended just before the kill: whole, then; 2 more
            assert json.loads((work / "state.json").read_text())["project"] == title
            annotate_tasks(ls_client, [by_split["train"][1], by_split["validation"][1]])
            expected = 4
        live = [c for c in claims(ls_client, project) if c["expires"]]
        assert len(live) == 1  # the killed loop's claim, not released

        seen = len(events(work))
        second = start_loop(work, env, "--lease", "10", project=title)
        waiting = wait_for(work, "waiting", after=seen, process=second, timeout=60)
        assert "lease held by" in waiting["why"] and live[0]["owner"] in waiting["why"]
        taken = wait_for(work, "lease-acquired", after=seen, process=second, timeout=90)
        assert time.time() >= live[0]["expires"] - 1  # not before the killed loop's claim expired
        done = wait_for(work, "round", after=seen, process=second, timeout=240)
        assert done["round"] == taken["round"] + 1 and done["annotations"] == expected
        state = json.loads((work / "state.json").read_text())
        assert (state["project"], state["round"], state["model_version"]) == (
            title,
            done["round"],
            done["model_version"],
        )
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 143
        err = (tmp_path / "work.stderr").read_text()
        assert "Traceback" not in err and err.strip().splitlines()[-1] == f"loop: stopped after round {done['round']}"
        assert not [c for c in claims(ls_client, project) if c["expires"]]  # released
        assert json.loads((work / "state.json").read_text()) == state
    finally:
        for process in (first, second):
            if process is not None:
                stop(process)
