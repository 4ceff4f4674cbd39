"""Issue 23, the hostile user of the team commands without a Label Studio that answers well:
`push --overlap/--overlap-share`, `status`, `agreement`, `adjudicate` and `loop`.

Each case gets one `Error:` line naming the item, the cause and the fix, a non-zero exit, no
traceback, and nothing written (the folders' digests before and after); or the right result
where the input is legal. The server cases run against the discard port (nothing answers) and
small fake servers in a thread (an HTTP 401 for every request as for a refused API key, a web
page, a 404), so no Label Studio is needed; what needs one is in tests/e2e/test_team_hostile.py."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from newsgold.annotate.studio.lease import LocalLock
from newsgold.annotate.studio.loop import WORK_LOCK, Loop, LoopState, LoopStateError, read_state, write_state
from tests.hostile.kit import assert_refused, digests, invoke

PROJECT = "team hostile"
SERVER_COMMANDS = [
    f"status --project '{PROJECT}'",
    f"status --project '{PROJECT}' --json",
    f"agreement --project '{PROJECT}'",
    f"agreement --project '{PROJECT}' --json",
    f"adjudicate --project '{PROJECT}'",
    f"adjudicate --project '{PROJECT}' --reviewer nobody@newsgold.local --json",
    f"loop --project '{PROJECT}' --poll 1 --work {{tmp}}/work",
]


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A folder to run in, with a document, and a Label Studio nobody answers at (the discard port)."""
    (tmp_path / "docs.jsonl").write_text(json.dumps({"text": "Soldiers fled to Kabul on Monday."}) + "\n")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-a-key")
    monkeypatch.setenv("NEWSGOLD_LS_DIR", str(tmp_path / "ls"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------------------- numeric options
NUMBERS = [
    (
        "push docs.jsonl --project '%s' --overlap {v}",
        "--overlap",
        ["0", "-1", "1.5", "2.0e0", "101", str(10**30), "nan", "two", ""],
    ),
    (
        "push docs.jsonl --project '%s' --overlap-share {v}",
        "--overlap-share",
        ["0", "-5", "101", "100.5", "50%", "1e2", "inf", str(10**30)],
    ),
    ("push docs.jsonl --project '%s' --overlap 2 --overlap-share {v}", "--overlap-share", ["-1", "1000"]),
    ("loop --project '%s' --every {v}", "--every", ["0", "-3", "2.5", str(10**7), "nan", "many"]),
    ("loop --project '%s' --poll {v}", "--poll", ["0", "-1", "0.1", "nan", "inf", "1e400", str(10**30)]),
    ("loop --project '%s' --lease {v}", "--lease", ["0", "-60", "4.9", "nan", "inf", "86401"]),
]


@pytest.mark.parametrize(
    "template, option, value",
    [pytest.param(t % PROJECT, o, v, id=f"{o}={v!r}") for t, o, values in NUMBERS for v in values],
)
def test_a_team_number_that_cannot_mean_anything_is_refused_before_any_work(place, template, option, value):
    before = digests(place)
    result = invoke("annotate " + template.format(v=repr(value) if value == "" else value))
    line = assert_refused(result, option)
    assert result.exit_code == 2 and "Label Studio" not in line, line  # before any server is asked
    assert digests(place) == before


def test_a_poll_not_shorter_than_the_lease_is_refused(place):
    """The holder renews its lease when it looks at the project: looking less often than the lease
    lasts would let it lapse between two looks."""
    for poll, lease in (("60", "60"), ("120", "30"), ("3600", "5")):
        before = digests(place)
        result = invoke(f"annotate loop --project '{PROJECT}' --poll {poll} --lease {lease} --work work")
        line = assert_refused(result, f"--poll {poll}", f"--lease {lease}", "longer than --poll")
        assert result.exit_code == 2, line
        assert digests(place) == before and not (place / "work").exists()


@pytest.mark.parametrize("share", ["1", "100"])
def test_the_overlap_bounds_are_taken_and_reach_the_server(place, share):
    """Legal values pass the options: the only refusal is the server's absence."""
    line = assert_refused(
        invoke(f"annotate push docs.jsonl --project '{PROJECT}' --overlap 100 --overlap-share {share}"), "unreachable"
    )
    assert "overlap" not in line


# ---------------------------------------------------------------------------- no server, wrong server
class Fake(http.server.BaseHTTPRequestHandler):
    answers = {
        "refused": (401, "application/json", b'{"detail": "Invalid token."}'),
        "webpage": (200, "text/html", b"<html><body>Welcome to nginx!</body></html>"),
        "missing": (404, "text/plain", b"not found"),
    }

    def _answer(self):
        status, kind, body = self.answers[self.server.mode]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def fakes():
    """A fake server per kind of wrong answer: kind -> its URL."""
    servers = {}
    for mode in Fake.answers:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
        httpd.mode = mode
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers[mode] = httpd
    yield {mode: f"http://127.0.0.1:{httpd.server_address[1]}" for mode, httpd in servers.items()}
    for httpd in servers.values():
        httpd.shutdown()


WRONG = [
    ("refused", "the API key was refused"),
    ("webpage", "is not Label Studio's API"),
    ("missing", "is not Label Studio's API"),
]


@pytest.mark.parametrize("command", SERVER_COMMANDS, ids=lambda c: c.split(" --project")[0] + c.split("'")[-1])
@pytest.mark.parametrize("mode, said", WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_server_or_key_is_one_line_for_every_team_command(place, fakes, monkeypatch, command, mode, said):
    monkeypatch.setenv("LABEL_STUDIO_URL", fakes[mode])
    before = digests(place)
    result = invoke("annotate " + command.format(tmp=place))
    line = assert_refused(result, fakes[mode], said)
    assert "LABEL_STUDIO" in line  # the fix: which setting to check
    if command.startswith("loop"):  # the loop's own log of its start and stop, nothing else
        assert sorted(p.name for p in (place / "work").iterdir()) == [WORK_LOCK, "loop.jsonl"]
        events = [json.loads(x)["event"] for x in (place / "work" / "loop.jsonl").read_text().splitlines()]
        assert events == ["started", "stopped"]
        return
    assert digests(place) == before


@pytest.mark.parametrize(
    "command",
    [c for c in SERVER_COMMANDS if not c.startswith("loop")],
    ids=lambda c: c.split(" --project")[0] + c.split("'")[-1],
)
def test_no_server_is_one_line_naming_the_address(place, command):
    before = digests(place)
    assert_refused(invoke("annotate " + command), "http://127.0.0.1:9", "unreachable", "annotate server")
    assert digests(place) == before


BAD_ADDRESSES = [
    "not a url",
    "localhost:8080",
    "http://",
    "ftp://127.0.0.1:21",
    "http://127.0.0.1:99999",
    "http://127.0.0.1:port",
]


@pytest.mark.parametrize("command", SERVER_COMMANDS, ids=lambda c: c.split(" --project")[0] + c.split("'")[-1])
@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_a_misspelt_address_is_refused_at_once(place, monkeypatch, command, address):
    """Not asked again and again as if the server were down: the loop refuses it before it starts."""
    monkeypatch.setenv("LABEL_STUDIO_URL", address)
    before = digests(place)
    started = time.monotonic()
    assert_refused(invoke("annotate " + command.format(tmp=place)), "LABEL_STUDIO_URL", repr(address), "http")
    assert time.monotonic() - started < 10 and digests(place) == before


@pytest.mark.parametrize("command", SERVER_COMMANDS, ids=lambda c: c.split(" --project")[0] + c.split("'")[-1])
@pytest.mark.parametrize("unset", ["LABEL_STUDIO_API_KEY", "LABEL_STUDIO_URL"])
def test_half_a_configuration_is_refused_at_once(place, monkeypatch, command, unset):
    monkeypatch.delenv(unset)
    before = digests(place)
    assert_refused(invoke("annotate " + command.format(tmp=place)), f"{unset} is not set")
    assert digests(place) == before


def test_a_loop_without_a_server_waits_logging_it_once_and_stops_cleanly(place):
    """A server that is down may come back (a restart): the loop says so once and asks again."""
    records, sleeps, polls = [], [], []
    loop = Loop(PROJECT, place / "work", 2, poll=1, log=records.append, sleep=sleeps.append)
    state = loop.run(stop=lambda: polls.append(1) or len(polls) > 4)
    events = [r["event"] for r in records]
    assert events == ["started", "server-unreachable", "stopped"], events
    assert "http://127.0.0.1:9" in records[1]["error"] and sleeps == [1, 2, 4, 8]
    assert state == LoopState() and not (place / "work" / "state.json").exists()


def test_sigterm_to_a_loop_waiting_for_its_server_exits_143_without_a_traceback(place):
    annotate = Path(sys.executable).parent / "annotate"
    process = subprocess.Popen(
        [str(annotate), "loop", "--project", PROJECT, "--poll", "1", "--work", "work"],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    log = place / "work" / "loop.jsonl"
    while not (log.exists() and "server-unreachable" in log.read_text()) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "loop: stopped after round 0", err
    assert [json.loads(x)["event"] for x in log.read_text().splitlines()][-1] == "stopped"
    assert sorted(p.name for p in (place / "work").iterdir()) == [WORK_LOCK, "loop.jsonl"]


# ---------------------------------------------------------------------------- the loop's folder
def test_a_work_folder_that_is_a_file_or_beneath_one_is_refused(place):
    (place / "afile").write_text("keep me\n")
    for work, names in (("afile", ["afile", "is a file"]), ("afile/sub", ["afile/sub", "--work", "Not a directory"])):
        before = digests(place)
        assert_refused(invoke(f"annotate loop --project '{PROJECT}' --work {work}"), *names)
        assert digests(place) == before


@pytest.mark.parametrize("work", ["/proc/newsgold-loop", "/sys/kernel/newsgold-loop", "/dev/null/loop"])
def test_a_work_folder_nobody_may_write_is_refused(place, work):
    if not Path(work).parent.exists():
        pytest.skip(f"{Path(work).parent} does not exist here")
    assert_refused(
        invoke(f"annotate loop --project '{PROJECT}' --work {work}"), f"--work {work}", "give a folder you can write to"
    )
    assert not Path(work).exists()


def test_a_log_that_is_a_folder_is_refused(place):
    (place / "work" / "loop.jsonl").mkdir(parents=True)
    before = digests(place)
    assert_refused(invoke(f"annotate loop --project '{PROJECT}' --work work"), "loop.jsonl", "cannot be appended")
    assert digests(place) == before


def test_a_folder_another_loop_uses_is_refused_whatever_its_project(place):
    """Two loops in one folder would overwrite each other's export and model: the second is
    refused while the first holds the folder, and takes it once the first is gone."""
    (place / "work").mkdir()
    (place / "work" / "loop.jsonl").write_text("")
    other = LocalLock(place / "work" / WORK_LOCK)
    assert other.acquire()  # a loop of another project, running (its log there)
    try:
        before = digests(place)
        assert_refused(
            invoke(f"annotate loop --project '{PROJECT}' --work work"),
            "--work work",
            "another loop uses this folder",
            f"process {os.getpid()}",
            "its own --work",
        )
        assert digests(place) == before
    finally:
        other.release()
    loop = Loop(PROJECT, place / "work", 2, poll=1, sleep=lambda s: None)  # now free
    loop.run(stop=lambda: True)
    assert LocalLock(place / "work" / WORK_LOCK).acquire()  # and let go when it stopped


GOOD = {"project": PROJECT, "round": 2, "annotations": 7, "model_version": "rules+tagger-2", "dev": None}
FORGED = [
    ("truncated", '{"project": "team hostile", "round": 2, "annot', "not a state"),
    ("empty", "", "not a state"),
    ("binary", "\x00\xff\xfe", "not a state"),
    ("a list", "[1, 2]", "JSON list"),
    ("a number", "3", "JSON int"),
    ("null", "null", "JSON NoneType"),
    ("no round", json.dumps({k: v for k, v in GOOD.items() if k != "round"}), "'round' is None"),
    ("round a word", json.dumps({**GOOD, "round": "two"}), "'round' is 'two'"),
    ("round negative", json.dumps({**GOOD, "round": -1}), "'round' is -1"),
    ("round fractional", json.dumps({**GOOD, "round": 1.5}), "'round' is 1.5"),
    ("round true", json.dumps({**GOOD, "round": True}), "'round' is True"),
    ("annotations huge float", json.dumps({**GOOD, "annotations": 1e30}), "'annotations' is 1e+30"),
    ("annotations a list", json.dumps({**GOOD, "annotations": [7]}), "'annotations' is [7]"),
    ("model_version a number", json.dumps({**GOOD, "model_version": 3}), "'model_version' is 3"),
    ("dev a list", json.dumps({**GOOD, "dev": [0.5]}), "'dev' is [0.5]"),
    ("project a number", json.dumps({**GOOD, "project": 7}), "'project' is 7"),
    ("another project", json.dumps({**GOOD, "project": "another desk"}), "project 'another desk'"),
]


@pytest.mark.parametrize("content, said", [pytest.param(c, s, id=i) for i, c, s in FORGED])
def test_a_corrupt_or_forged_state_is_refused_and_kept(place, content, said):
    """Neither trusted (another project's counts would hold the rounds back) nor silently
    forgotten: refused, naming the file and what to do; the file is left as it was."""
    work = place / "work"
    work.mkdir()
    (work / "state.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    before = digests(place)
    line = assert_refused(
        invoke(f"annotate loop --project '{PROJECT}' --work work"), "state.json", said, "delete it", "--work"
    )
    assert "unreachable" not in line  # refused before the server is asked
    assert digests(place) == before
    with pytest.raises(LoopStateError):
        read_state(work, PROJECT)


def test_a_state_folder_in_place_of_the_state_is_refused(place):
    (place / "work" / "state.json").mkdir(parents=True)
    before = digests(place)
    assert_refused(invoke(f"annotate loop --project '{PROJECT}' --work work"), "state.json", "delete it")
    assert digests(place) == before


def test_the_state_names_its_project_and_an_older_state_without_one_is_read(place):
    write_state(place, LoopState(2, 7, "v2"), PROJECT)
    assert json.loads((place / "state.json").read_text())["project"] == PROJECT
    assert read_state(place, PROJECT) == LoopState(2, 7, "v2")
    with pytest.raises(LoopStateError, match="another desk"):
        read_state(place, "another desk")
    (place / "state.json").write_text(json.dumps({"round": 1, "annotations": 3, "model_version": None, "dev": None}))
    assert read_state(place, PROJECT) == LoopState(1, 3)


# ---------------------------------------------------------------------------- deletions
def test_after_deletions_the_next_round_counts_n_new_annotations_from_what_is_left(tmp_path, monkeypatch):
    """Last round at 6 annotations, 3 deleted (3 left): with --every 2 the next round comes at
    5, not at 8; the lower count is written to the state at once."""
    from tests.test_loop_lease import Outage

    monkeypatch.setenv("NEWSGOLD_CACHE", str(tmp_path / "cache"))
    write_state(tmp_path / "work", LoopState(1, 6, "v6"), PROJECT)
    server = Outage(0)
    counts = iter([6, 3, 4, 5, 5])
    server.annotation_count = lambda project: next(counts)
    tried = []

    def train_and_push(self, ls, number, count, renewer):
        tried.append(count)
        return {"model_version": f"v{count}", "dev": None}

    monkeypatch.setattr(Loop, "_train_and_push", train_and_push)
    records = []
    loop = Loop(
        PROJECT,
        tmp_path / "work",
        2,
        poll=1,
        log=records.append,
        sleep=lambda s: None,
        connect=server,
        trainer=lambda *a, **k: None,
    )
    state = loop.run(rounds=1)
    assert tried == [5] and state == LoopState(2, 5, "v5") == read_state(tmp_path / "work", PROJECT)
    (fewer,) = [r for r in records if r["event"] == "fewer-annotations"]
    assert (fewer["was"], fewer["now"]) == (6, 3)


# ---------------------------------------------------------------------------- nothing drawn, nobody to compare
def _task(task_id, text, *drawn):
    """A Label Studio task whose annotator k+1 drew `drawn[k]` ((start, end, label) triples)."""
    return {
        "id": task_id,
        "data": {"text": text, "newsgold_id": f"d{task_id}"},
        "annotations": [
            {
                "id": 10 * task_id + k,
                "completed_by": k + 1,
                "was_cancelled": False,
                "ground_truth": False,
                "updated_at": f"2026-01-01T00:00:0{k}Z",
                "result": [
                    {
                        "id": f"r{n}",
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {"start": s, "end": e, "text": text[s:e], "labels": [label]},
                    }
                    for n, (s, e, label) in enumerate(spans)
                ],
            }
            for k, spans in enumerate(drawn)
        ],
    }


LABELS = ["ACTOR", "LOCATION", "COUNT", "ACTION"]
USERS = {1: "ann1@newsgold.local", 2: "ann2@newsgold.local"}


def test_agreement_on_tasks_where_both_annotators_drew_nothing_first(tmp_path):
    """Two people who agree there is nothing in the first task (nervaluate could not infer its
    input from an empty first document) and one span in the second."""
    from newsgold.annotate.studio.agreement import agreement

    text = "Soldiers fled to Kabul."
    tasks = [_task(1, "Nothing happened.", [], []), _task(2, text, [(0, 8, "ACTOR")], [(0, 8, "ACTOR")])]
    report = agreement(tasks, LABELS, USERS)
    assert report["documents"] == 2 and report["disagreements"] == []
    (pair,) = report["pairs"].values()
    assert pair["ACTOR"] == {"strict": 1.0, "partial": 1.0} and pair["LOCATION"] == {"strict": None, "partial": None}
    assert report["chance"]["alpha"]["labels"]["ACTOR"] == 1.0
    empty = agreement([_task(1, "Nothing happened.", [], [])], LABELS, USERS)  # nothing drawn anywhere
    assert empty["pairs"][f"{USERS[1]} vs {USERS[2]}"]["micro"] == {"strict": None, "partial": None}
    assert empty["chance"]["alpha"]["tags"] is None and "one value" in empty["chance"]["unscored"]["alpha: all tags"]


@pytest.mark.parametrize(
    "tasks, why",
    [
        ([], "no token annotated by two or more annotators"),
        ([_task(1, "Soldiers fled.", [(0, 8, "ACTOR")])], "no token annotated by two or more annotators"),
    ],
)
def test_alpha_with_nobody_to_compare_is_none_and_says_why(tasks, why):
    """0 or 1 annotator: α is undefined, said as such (not NaN, not 'one value everywhere')."""
    from newsgold.annotate.studio.agreement import agreement, agreement_tables

    report = agreement(tasks, LABELS, USERS)
    alpha = report["chance"]["alpha"]
    assert alpha["tags"] is None and set(alpha["labels"].values()) == {None}
    assert all(why in reason for reason in report["chance"]["unscored"].values())
    assert report["pairs"] == {} and report["chance"]["kappa"] == {}
    json.dumps(report["chance"], allow_nan=False)  # no NaN anywhere
    assert "No document has two or more annotators" in agreement_tables(report, LABELS)


def test_score_with_a_first_document_without_spans(tmp_path):
    """`annotate score` shares the nervaluate call: a gold whose first document has no span."""
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps({"id": "a", "text": "Nothing here.", "spans": [], "relations": []})
        + "\n"
        + json.dumps(
            {"id": "b", "text": "Soldiers came.", "relations": [], "spans": [{"start": 0, "end": 8, "label": "ACTOR"}]}
        )
        + "\n"
    )
    result = invoke(["annotate", "score", gold, gold])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output


def test_runs_that_added_the_same_vote_keep_one_the_oldest():
    """Two runs planned from the same tasks both add a vote; whichever sweeps, the oldest stays
    (a copy deleted by the other run counts as deleted)."""
    from types import SimpleNamespace

    from newsgold.annotate.studio.adjudicate import VERSION, Decision, apply_decisions

    class Server:
        def __init__(self):
            self.predictions, self.next = {}, 1  # id -> (task, model_version)

        def import_predictions(self, project, payloads):
            for p in payloads:
                self.predictions[self.next] = (p["task"], p["model_version"])
                self.next += 1

        def delete_prediction(self, prediction):
            self.predictions.pop(prediction, None)

        def set_ground_truth(self, annotation):
            pass

        def _by_id(self, project, only, **kwargs):
            for task in only:
                yield SimpleNamespace(
                    id=task,
                    predictions=[
                        SimpleNamespace(id=i, model_version=v) for i, (t, v) in self.predictions.items() if t == task
                    ],
                )

    server = Server()
    server.predictions[1], server.next = (7, "rules-1"), 2  # another model's prediction: never touched
    decisions = [
        Decision(7, "d7", "add", {"task": 7, "model_version": VERSION, "result": []}),
        Decision(8, "d8", "add", {"task": 8, "model_version": VERSION, "result": []}),
    ]
    server.import_predictions(None, [d.payload for d in decisions])  # the other run added first (2, 3)
    assert apply_decisions(server, None, decisions, batch_size=1) == 2  # ours (4, 5) are the copies
    assert server.predictions == {1: (7, "rules-1"), 2: (7, VERSION), 3: (8, VERSION)}
    assert apply_decisions(server, None, [], batch_size=1) == 0
