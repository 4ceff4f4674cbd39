"""The README's promises against a real Label Studio (issue 20, class 8):

- Ctrl-C or SIGTERM at any moment of a live `annotate export --project` (the snapshot being
  made, polled, streamed, the export being converted) leaves no export snapshot on the server and
  no partial --out folder;
- a project title that differs only by Unicode normalisation or surrounding space names the same
  project in push, export, status and agreement; two look-alike projects are refused in one line;
- a push ledger edited by hand, or garbage, is not believed: the push lists the tasks instead,
  says so and creates no duplicate;
- a bad API key and a bad score end in one line.
What needs no server: tests/hostile/test_promises.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import orjson
import pytest

from newsgold.annotate.studio import server
from tests.hostile.kit import assert_ok, assert_refused, invoke

pytestmark = pytest.mark.e2e

ANNOTATE = str(Path(sys.executable).parent / "annotate")
TASKS = 2500  # enough that making and reading the snapshot takes some seconds


def _texts(n: int, tag: str) -> str:
    return "".join(
        json.dumps(
            {
                "text": (
                    f"Report {tag}-{k}: {k % 900 + 100} Afghan soldiers fled to Tajikistan "
                    f"near Kunduz on Tuesday, officials said. "
                )
                * 12
            }
        )
        + "\n"
        for k in range(n)
    )


def _env(ls_server) -> dict:
    env = {**os.environ, server.DATA_DIR_ENV: str(ls_server.data_dir)}
    env.pop("LABEL_STUDIO_URL", None)
    env.pop("LABEL_STUDIO_API_KEY", None)
    return env


@pytest.fixture(scope="module")
def big_project(ls_server, tmp_path_factory):
    """A project of TASKS tasks, three of them annotated, pushed once for the module."""
    from newsgold.annotate.studio.client import LabelStudio

    folder = tmp_path_factory.mktemp("big")
    docs = folder / "docs.jsonl"
    docs.write_text(_texts(TASKS, "big"))
    done = subprocess.run(
        [ANNOTATE, "push", str(docs), "--project", "interrupted export", "--no-preannotate"],
        env=_env(ls_server),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    client = LabelStudio(ls_server.url, server.credentials(ls_server.data_dir)["token"])
    project = client.find_project("interrupted export")
    for task in list(client.iter_tasks(project))[:3]:
        text = task["data"]["text"]
        start = text.index("Afghan soldiers")
        client.create_annotation(
            task["id"],
            [
                {
                    "id": f"r{task['id']}",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {
                        "start": start,
                        "end": start + len("Afghan soldiers"),
                        "text": "Afghan soldiers",
                        "labels": ["ACTOR"],
                    },
                }
            ],
        )
    return client, project


def _export(ls_server, out: Path, signum: int | None = None, after: float = 0.0):
    process = subprocess.Popen(
        [ANNOTATE, "export", "--project", "interrupted export", "--out", str(out)],
        env=_env(ls_server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()
    if signum is not None:
        while time.monotonic() - started < after and process.poll() is None:
            time.sleep(0.02)
        if process.poll() is None:
            process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=300)
    return process.returncode, stdout + stderr, time.monotonic() - started


def test_an_interrupted_live_export_leaves_no_snapshot_and_no_partial_output(ls_server, big_project, tmp_path):
    client, project = big_project
    before = client.export_snapshots(project)
    code, output, whole = _export(ls_server, tmp_path / "whole")
    assert code == 0 and (tmp_path / "whole").is_dir(), output
    assert client.export_snapshots(project) == before
    # the moments are spread over a warm run: the first one is slower (cold caches), and moments
    # measured on it fell after the interrupted runs had already finished
    code, output, warm = _export(ls_server, tmp_path / "warm")
    assert code == 0, output
    whole = min(whole, warm)
    # moments across the whole run: starting up, the snapshot being made (most of the time on the
    # embedded server), polled, streamed, and the conversion; each signal a few times
    # (after the program has started: a signal while Python imports the command line is not the export's)
    started = time.monotonic()
    subprocess.run([ANNOTATE, "--help"], env=_env(ls_server), capture_output=True, check=True)
    boot = time.monotonic() - started + 0.3
    moments = [boot + (whole - boot) * share for share in (0.02, 0.08, 0.15, 0.25, 0.35, 0.45, 0.55, 0.7, 0.85, 0.95)]
    outcomes, whole = [], max(whole, boot + 1)
    for k, after in enumerate(moments):
        signum = (signal.SIGINT, signal.SIGTERM)[k % 2]
        out = tmp_path / f"ds{k}"
        code, output, took = _export(ls_server, out, signum, after)
        outcomes.append((signal.Signals(signum).name, round(after, 1), code, round(took, 1)))
        assert "Traceback" not in output, output
        left = client.export_snapshots(project)
        details = (
            [
                (x.id, x.title, str(x.status), str(x.created_at))
                for x in client._client.projects.exports.list(id=project.id) or []
            ]
            if left != before
            else []
        )
        assert left == before, (
            f"snapshots {details} left at {time.time():.1f} after {signal.Signals(signum).name} at {after:.1f} s: {output}"
        )
        if code != 0 and out.exists():  # the signal came after the output was renamed into place:
            # it is the whole dataset (the rename is the last step), never a part of one
            assert (
                (out / ".newsgold-export").is_file()
                and (out / "dataset_dict.json").is_file()
                and sorted(p.name for p in out.iterdir()) == sorted(p.name for p in (tmp_path / "whole").iterdir())
            ), f"partial {out} after {signal.Signals(signum).name} at {after:.1f} s"
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], list(tmp_path.iterdir())
    print(f"whole export {whole:.1f} s; interrupted runs (signal, at s, exit code, took s): {outcomes}")
    assert sum(code != 0 for _, _, code, _ in outcomes) >= len(moments) - 2, outcomes  # most were interrupted
    time.sleep(3)  # a creating request given up may land late: still nothing
    assert client.export_snapshots(project) == before


def test_a_title_differing_by_normalisation_or_space_is_one_project(ls_env, ls_client, tmp_path):
    nfc, nfd = (unicodedata.normalize(form, "Café promises") for form in ("NFC", "NFD"))
    docs = tmp_path / "docs.jsonl"
    docs.write_text(_texts(3, "cafe"))
    assert_ok(invoke(f"annotate push {docs} --project '{nfc}' --no-preannotate"))
    before = [p.id for p in ls_client.find_projects(nfc)]
    result = assert_ok(invoke(f"annotate push {docs} --project '{nfd}' --no-preannotate"))
    assert "0 new" in result.output or "3 already" in result.output, result.output
    assert [p.id for p in ls_client.find_projects(nfd)] == before and len(before) == 1
    assert all(p.title != nfd for p in ls_client.find_projects(nfc))  # no project stored under the NFD form
    for title in (nfd, f"  {nfd} "):
        assert_ok(invoke(["annotate", "status", "--project", title]))
        assert_ok(invoke(["annotate", "agreement", "--project", title]))
        export = invoke(["annotate", "export", "--project", title, "--out", str(tmp_path / "ds"), "--force"])
        assert "does not exist" not in export.output, export.output

    # a look-alike made outside newsgold (the web UI stores what it is given): refused, both ids named
    other = ls_client.create_project(nfd, "<View><Text name='text' value='$text'/></View>", "", "")
    try:
        for argv in (
            ["annotate", "push", str(docs), "--project", nfc, "--no-preannotate"],
            ["annotate", "status", "--project", nfc],
            ["annotate", "agreement", "--project", nfd],
            ["annotate", "export", "--project", nfc, "--out", str(tmp_path / "ds2")],
        ):
            assert_refused(invoke(argv), f"id {before[0]}", f"id {other.id}")
        assert not (tmp_path / "ds2").exists()
    finally:
        ls_client._client.projects.delete(id=other.id)


@pytest.mark.parametrize("spoil", ["entries removed, stamp kept", "garbage", "foreign JSON"])
def test_a_spoiled_push_ledger_is_not_believed_and_makes_no_duplicate(ls_env, ls_client, tmp_path, spoil):
    title = f"ledger {spoil}"[:50]
    docs = tmp_path / "docs.jsonl"
    docs.write_text(_texts(30, spoil.replace(" ", "")))
    assert_ok(invoke(["annotate", "push", str(docs), "--project", title, "--no-preannotate"]))
    project = ls_client.find_project(title)
    ledgers = list((Path(ls_env.data_dir) / "push-ledgers").glob("*.json"))
    ledger = next(p for p in ledgers if orjson.loads(p.read_bytes())["stamp"][0] == project.id)
    if spoil == "garbage":
        ledger.write_bytes(b"\x00\xff not a ledger")
    elif spoil == "foreign JSON":
        ledger.write_text(json.dumps({"stamp": "x", "documents": [1, 2, 3]}))
    else:
        saved = orjson.loads(ledger.read_bytes())
        for doc in list(saved["documents"])[:10]:
            del saved["documents"][doc]
        ledger.write_bytes(orjson.dumps(saved))
    result = assert_ok(invoke(["annotate", "push", str(docs), "--project", title, "--no-preannotate"]))
    assert "0 new" in result.output and "not believed" in result.output, result.output
    assert len(list(ls_client.iter_tasks(project))) == 30
    again = assert_ok(invoke(["annotate", "push", str(docs), "--project", title, "--no-preannotate"]))
    assert "ledger" in again.output and "not believed" not in again.output, again.output  # renewed, believed


def test_a_bad_key_and_a_bad_score_are_one_line(ls_env, ls_client, tmp_path, monkeypatch):
    docs = tmp_path / "docs.txt"
    docs.write_text("Officials said 40 Taliban fighters crossed into Pakistan on Tuesday.")
    assert_ok(invoke(["annotate", "push", str(docs), "--project", "scores"]))
    predictions = tmp_path / "p.jsonl"
    assert_ok(invoke(["annotate", "preannotate", str(docs), "-o", str(predictions)]))
    record = json.loads(predictions.read_text())
    record["model_version"], record["spans"][0]["score"] = "other", float("nan")
    predictions.write_text(json.dumps(record) + "\n")
    project = ls_client.find_project("scores")
    before = [t["predictions"] for t in ls_client.iter_tasks(project, fields="all")]
    assert_refused(
        invoke(["annotate", "push", "--predictions", str(predictions), "--project", "scores"]),
        "record 1",
        "spans[0].score",
        "nan",
    )
    assert [t["predictions"] for t in ls_client.iter_tasks(project, fields="all")] == before

    monkeypatch.setenv("LABEL_STUDIO_URL", ls_env.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0" * 40)
    for argv in (["annotate", "server"], ["annotate", "status", "--project", "scores"]):
        result = invoke(argv)
        assert_refused(result, ls_env.url, "HTTP 401", "LABEL_STUDIO_API_KEY")
        assert len(result.output.strip().splitlines()) == 1, result.output
