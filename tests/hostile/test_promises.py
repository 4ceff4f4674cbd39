"""Hostile matrix, class 8 of issue 20: the README's promises, where no Label Studio is needed.

- the push ledger is believed only when its content is the one newsgold wrote (`push.Ledger`);
- one title rule for every project lookup (`labelstudio.title_key`, `distinct_titles`);
- every way a server at LABEL_STUDIO_URL can answer wrongly is one line naming the URL, what came
  back and the fix (`labelstudio.wrong_answer`, `LabelStudio._call`), through every command that
  connects, against real local HTTP servers started here;
- a prediction score that is not a number from 0 to 1 is refused naming the record and the field,
  before anything is stored (`push.check_scores`).
The same promises against a real Label Studio: tests/e2e/test_promises.py.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from newsgold.annotate.documents import make_document
from newsgold.annotate.errors import SpanError
from newsgold.annotate.preannotate import RuleAnnotator
from newsgold.annotate.schema import load_schema
from newsgold.annotate.studio.client import LabelStudio
from newsgold.annotate.studio.errors import LabelStudioError, Project, distinct_titles, title_key
from newsgold.annotate.studio.push import Ledger, check_predictions, check_title, prediction_payload
from tests.hostile.kit import assert_refused, invoke

SCHEMA = load_schema(None)
PROJECT = Project(7, "demo", "<View/>", "", "2026-01-01T00:00:00Z")


# ------------------------------------------------------------------ the push ledger
def _written(tmp_path, n=12):
    ledger = Ledger(tmp_path, "http://127.0.0.1:8080", PROJECT)
    documents = {f"{k:016x}": 100 + k for k in range(n)}
    stamp = ledger.stamp(n, 100 + n - 1)
    ledger.write(stamp, documents)
    return ledger, stamp, documents


def _edit(path, change):
    saved = orjson.loads(path.read_bytes())
    change(saved)
    path.write_bytes(orjson.dumps(saved))


EDITS = {
    "entries removed, stamp kept": lambda s: [s["documents"].pop(k) for k in list(s["documents"])[:10]],
    "one entry removed": lambda s: s["documents"].pop(next(iter(s["documents"]))),
    "a task id changed": lambda s: s["documents"].update({next(iter(s["documents"])): 99999}),
    "an entry added": lambda s: s["documents"].update({"f" * 16: 5}),
    "digest removed (an older ledger)": lambda s: s.pop("digest"),
    "digest garbled": lambda s: s.update(digest="0" * 64),
    "entries removed, digest recomputed": lambda s: (
        [s["documents"].pop(k) for k in list(s["documents"])[:3]],
        s.update(digest=Ledger.digest(s["documents"])),
    ),
    "task ids as strings, digest recomputed": lambda s: (
        s.update(documents={k: str(v) for k, v in s["documents"].items()}),
        s.update(digest=Ledger.digest(s["documents"])),
    ),
    "two documents one task, digest recomputed": lambda s: (
        s["documents"].update({k: 100 for k in s["documents"]}),
        s.update(digest=Ledger.digest(s["documents"])),
    ),
}


def test_an_untouched_ledger_is_believed(tmp_path):
    ledger, stamp, documents = _written(tmp_path)
    assert ledger.read(stamp) == documents and ledger.distrust is None


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_a_ledger_edited_by_hand_is_not_believed_and_says_so(tmp_path, edit):
    ledger, stamp, _ = _written(tmp_path)
    _edit(ledger.path, EDITS[edit])
    assert ledger.read(stamp) is None
    assert ledger.distrust and str(ledger.path) in ledger.distrust and "listed instead" in ledger.distrust


GARBAGE = {
    "empty": b"",
    "binary": bytes(range(256)),
    "truncated": b'{"stamp": [7, "2026',
    "a list": b"[1, 2, 3]",
    "a string": b'"ledger"',
    "foreign object": b'{"name": "something else", "documents": [1, 2]}',
    "documents a list": b'{"stamp": [7, "2026-01-01T00:00:00Z", 12, 111], "documents": [1, 2]}',
    "NaN": b"NaN",
    "latin-1": '{"stamp": "caf\xe9"}'.encode("latin-1"),
}


@pytest.mark.parametrize("garbage", GARBAGE, ids=list(GARBAGE))
def test_a_garbage_or_foreign_ledger_falls_back_without_a_traceback(tmp_path, garbage):
    ledger, stamp, _ = _written(tmp_path)
    ledger.path.write_bytes(GARBAGE[garbage])
    assert ledger.read(stamp) is None and ledger.distrust


def test_a_ledger_of_a_changed_project_is_simply_not_used(tmp_path):
    ledger, stamp, _ = _written(tmp_path)
    assert ledger.read(ledger.stamp(13, 112)) is None and ledger.distrust is None  # the usual case: quiet


def test_a_project_that_could_never_match_its_ledger_gets_none(tmp_path):
    ledger, stamp, documents = _written(tmp_path)
    ledger.write(ledger.stamp(len(documents) + 1, 200), documents)  # a task made outside newsgold
    assert not ledger.path.exists()


# ------------------------------------------------------------------ one title rule
CAFE = "Café demo"
VARIANTS = [unicodedata.normalize("NFC", CAFE), unicodedata.normalize("NFD", CAFE), f" {CAFE}\t", f"{CAFE}\n"]


@pytest.mark.parametrize("variant", VARIANTS, ids=["nfc", "nfd", "spaces", "newline"])
def test_titles_differing_by_normalisation_or_surrounding_space_are_one_title(variant):
    assert title_key(variant) == title_key(VARIANTS[0]) == unicodedata.normalize("NFC", CAFE)


def test_a_push_stores_the_composed_title():
    assert check_title(unicodedata.normalize("NFD", CAFE)) == unicodedata.normalize("NFC", CAFE)


def test_two_look_alike_projects_are_reported_in_one_line_naming_both_ids():
    nfc, nfd = (Project(i, unicodedata.normalize(form, CAFE), "", "") for i, form in ((3, "NFC"), (9, "NFD")))
    with pytest.raises(LabelStudioError) as caught:
        distinct_titles("http://ls.test", CAFE, [nfc, nfd])
    message = str(caught.value)
    assert "id 3" in message and "id 9" in message and "\n" not in message
    distinct_titles("http://ls.test", CAFE, [nfc, Project(12, nfc.title, "", "")])  # a push race: the oldest


# ------------------------------------------------------------------ wrong answers from LABEL_STUDIO_URL
PAGE = (
    b"<!DOCTYPE html>\n<html>\n<head><title>Welcome</title></head>\n<body>\n"
    + b"<p>line</p>\n" * 12
    + b"</body></html>\n"
)
USER = {"id": 1, "email": "me@newsgold.local", "username": "me"}


class Handler(BaseHTTPRequestHandler):
    """Answers as `server.mode` says; "after-whoami:MODE" answers the key check like Label Studio
    and then MODE, so the commands' later requests meet the wrong answer too."""

    def log_message(self, *args):
        pass

    def _send(self, status, kind, body, headers=()):
        self.send_response(status)
        if kind:
            self.send_header("Content-Type", kind)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _answer(self):
        mode = self.server.mode
        if mode.startswith("after-whoami:"):
            if "whoami" in self.path:
                return self._send(200, "application/json", json.dumps(USER).encode())
            mode = mode.split(":", 1)[1]
        if self.path.startswith("/user/login"):
            return self._send(200, "text/html; charset=utf-8", PAGE)
        if mode == "html":
            return self._send(200, "text/html; charset=utf-8", PAGE)
        if mode == "login-redirect":
            return self._send(302, "text/html", b"", [("Location", "/user/login/?next=" + self.path)])
        if mode == "redirect-loop":
            return self._send(301, None, b"", [("Location", self.path)])
        if mode == "timeout":
            time.sleep(3)
            return self._send(200, "application/json", b"{}")
        if mode == "garbage-json":
            return self._send(200, "application/json", b'{"unexpected": [1, 2')
        status, kind = mode.split("-", 1)
        body = (
            PAGE
            if kind == "html"
            else json.dumps(
                {
                    "detail": "Authentication credentials were not provided."
                    if status in ("401", "403")
                    else "Not found.\nline two"
                }
            ).encode()
        )
        return self._send(int(status), "text/html" if kind == "html" else "application/json", body)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer


class QuietServer(ThreadingHTTPServer):
    """A fake server whose handler threads never write to stderr: a client that gave up (the
    timeout case) makes the late answer a BrokenPipeError, which socketserver would print into
    whatever test captures stderr at that moment."""

    def handle_error(self, request, client_address):
        pass


@pytest.fixture(scope="module")
def http():
    server = QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.mode = "html"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# what came back → words the one line must hold (besides the URL)
ANSWERS = {
    "html": ("HTTP 200", "text/html", "not Label Studio's API", "LABEL_STUDIO_URL"),
    "404-html": ("HTTP 404", "text/html", "LABEL_STUDIO_URL"),
    "404-json": ("HTTP 404", "application/json", "Not found. line two"),
    "401-json": ("HTTP 401", "LABEL_STUDIO_API_KEY"),
    "403-html": ("HTTP 403", "text/html", "LABEL_STUDIO_API_KEY"),
    "500-html": ("HTTP 500", "text/html", "log", "LABEL_STUDIO_URL"),
    "500-json": ("HTTP 500", "failed", "log", "Not found. line two"),
    "login-redirect": ("HTTP 200", "text/html", "/user/login", "login page", "LABEL_STUDIO_URL"),
    "redirect-loop": ("redirects in a loop", "LABEL_STUDIO_URL"),
    "garbage-json": ("not Label Studio's API", "LABEL_STUDIO_URL"),
    "after-whoami:html": ("HTTP 200", "text/html", "LABEL_STUDIO_URL"),
    "after-whoami:500-html": ("HTTP 500", "text/html"),
    "after-whoami:404-json": ("HTTP 404", "application/json"),
}


def _commands(tmp_path):
    docs = tmp_path / "docs.txt"
    docs.write_text("Officials said 40 Taliban fighters crossed into Pakistan on Tuesday.")
    predictions = tmp_path / "p.jsonl"
    record = RuleAnnotator().warm_up().annotate(make_document(docs.read_text(), "t", "t")).to_record()
    predictions.write_text(json.dumps(record) + "\n")
    return {
        "server": "annotate server",
        "push": f"annotate push {docs} --project demo",
        "push --predictions": f"annotate push --predictions {predictions} --project demo",
        "status": "annotate status --project demo",
        "export --project": f"annotate export --project demo --out {tmp_path / 'ds'}",
        "agreement": "annotate agreement --project demo",
        "adjudicate": "annotate adjudicate --project demo",
    }


COMMANDS = ["server", "push", "push --predictions", "status", "export --project", "agreement", "adjudicate"]


def _assert_one_line(result, url, words, tmp_path):
    line = assert_refused(result, url, *words)
    assert "<" not in result.output and "Welcome" not in result.output, result.output  # no page body
    assert len(result.output.strip().splitlines()) <= 2, result.output
    assert not (tmp_path / "ds").exists() and not list(tmp_path.glob(".ds*")), "partial export output"
    return line


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("mode", ANSWERS, ids=list(ANSWERS))
def test_every_wrong_answer_of_the_server_is_one_line(http, tmp_path, monkeypatch, command, mode):
    if command == "server" and mode.startswith("after-whoami"):
        pytest.skip("`annotate server` with LABEL_STUDIO_URL only checks the key")
    url = f"http://127.0.0.1:{http.server_port}"
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-a-real-key")
    http.mode = mode
    result = invoke(_commands(tmp_path)[command])
    _assert_one_line(result, url, ANSWERS[mode], tmp_path)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_server_that_is_not_there_is_one_line(tmp_path, monkeypatch, command):
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "k")
    _assert_one_line(invoke(_commands(tmp_path)[command]), url, ("unreachable", "annotate server"), tmp_path)


def test_a_server_that_does_not_answer_in_time_is_one_line(http):
    http.mode = "timeout"
    url = f"http://127.0.0.1:{http.server_port}"
    with pytest.raises(LabelStudioError) as caught:
        LabelStudio(url, "k", timeout=0.5).check()
    message = str(caught.value)
    assert url in message and "did not answer in time" in message and "\n" not in message


# ------------------------------------------------------------------ prediction scores
@pytest.fixture(scope="module")
def record() -> dict:
    made = (
        RuleAnnotator()
        .warm_up()
        .annotate(
            make_document("Officials said 40 Taliban fighters attacked a police post in Kunduz on Tuesday.", "t", "t")
        )
        .to_record()
    )
    assert len(made["spans"]) >= 2, made
    return made


BAD_SCORES = [float("nan"), float("inf"), float("-inf"), -0.01, 1.5, 1e308, "0.5", True, [0.5], {"v": 1}]


def _spoiled(record, field, value):
    copy = json.loads(json.dumps(record))
    if field == "score":
        copy["score"] = value
    else:
        copy["spans"][1]["score"] = value
    return copy


@pytest.mark.parametrize("field", ["score", "spans[1].score"])
@pytest.mark.parametrize("value", BAD_SCORES, ids=[repr(v) for v in BAD_SCORES])
def test_a_score_that_is_not_a_number_from_0_to_1_is_refused_naming_record_and_field(record, field, value):
    records = [record, _spoiled(record, field, value)]
    records[1]["id"] = "other"
    with pytest.raises(SpanError) as caught:
        check_predictions(records, "p.jsonl", SCHEMA)
    message = str(caught.value)
    assert message.startswith("p.jsonl record 2") and field in message and "\n" not in message, message
    with pytest.raises(SpanError, match=field.replace("[", r"\[").replace("]", r"\]")):
        prediction_payload(records[1], 5)  # what any sender of scores goes through


@pytest.mark.parametrize("value", [0, 0.0, 1, 1.0, 0.5, None])
def test_scores_from_0_to_1_pass(record, value):
    check_predictions(
        [
            _spoiled(record, "score", value),
        ],
        "p.jsonl",
        SCHEMA,
    )
    assert prediction_payload(_spoiled(record, "spans[1].score", value), 5)["model_version"]


@pytest.mark.parametrize("field", ["score", "spans[1].score"])
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "2", "-1"])
def test_push_predictions_refuses_a_bad_score_before_connecting(record, tmp_path, monkeypatch, field, value):
    """NaN and Infinity as Python's json writes them; no server is needed: nothing is sent."""
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "k")
    spoiled = _spoiled(record, field, 0.123456)
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps(spoiled).replace("0.123456", value) + "\n")
    assert_refused(invoke(f"annotate push --predictions {path} --project demo"), "record 2", field)
