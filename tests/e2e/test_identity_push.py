"""Identity at the server (issue 20, class 4): `annotate push` compares ids as every reader does
(`documents.normalize_id`: `7` and `"7"` are one id) and an id names one text, also against the
tasks a project already holds (`push.check_held_texts`); predictions meet their tasks by the same
rule. Each refused push stores nothing."""

import json

import pytest

from tests.hostile.kit import assert_ok, assert_refused, invoke

pytestmark = pytest.mark.e2e

TEXT_A = "Taliban fighters seized Kabul on Sunday, officials said."
TEXT_B = "Afghan soldiers fled to Tajikistan across the river."


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def tasks(ls_client, title):
    project = ls_client.find_project(title)
    return (
        []
        if project is None
        else sorted(
            ((t["data"]["newsgold_id"], t["data"]["text"]) for t in ls_client.iter_tasks(project, fields="all"))
        )
    )


def test_one_id_two_texts_in_one_push_creates_nothing(ls_env, ls_client, tmp_path):
    source = write_jsonl(tmp_path / "d.jsonl", [{"id": 7, "text": TEXT_A}, {"id": "7", "text": TEXT_B}])
    assert_refused(
        invoke(f"annotate push {source} --project 'identity one push' --no-preannotate"),
        "d.jsonl lines 1 and 2",
        "'7'",
        "different texts",
    )
    assert ls_client.find_project("identity one push") is None


def test_a_held_id_with_another_text_is_refused_and_the_same_text_is_present(ls_env, ls_client, tmp_path):
    title = "identity held ids"
    first = write_jsonl(tmp_path / "first.jsonl", [{"id": 7, "text": TEXT_A}])
    assert "1 new tasks" in assert_ok(invoke(f"annotate push {first} --project '{title}' --no-preannotate")).output
    held = tasks(ls_client, title)
    assert held == [("7", TEXT_A)]
    # the same document, its id spelt otherwise: already present, for the ledger and for the server listing
    again = write_jsonl(tmp_path / "again.jsonl", [{"id": " 7 ", "text": TEXT_A + "\r\n"}])
    result = assert_ok(invoke(f"annotate push {again} --project '{title}' --no-preannotate"))
    assert "0 new tasks, 1 already present" in result.output
    # one id, another text: refused naming the document and the task, nothing stored
    other = write_jsonl(
        tmp_path / "other.jsonl", [{"id": "7", "text": TEXT_B}, {"id": "8", "text": TEXT_B + " Again."}]
    )
    assert_refused(
        invoke(f"annotate push {other} --project '{title}' --no-preannotate"), "'7'", "task", "different texts"
    )
    assert tasks(ls_client, title) == held


def test_predictions_meet_their_tasks_by_the_one_rule(ls_env, ls_client, tmp_path):
    title = "identity predictions"
    docs = write_jsonl(tmp_path / "d.jsonl", [{"id": "7", "text": TEXT_A}])
    assert_ok(invoke(f"annotate push {docs} --project '{title}' --no-preannotate"))
    predictions = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {
                "id": 7,
                "text": TEXT_A,
                "model_version": "identity-1",
                "spans": [{"start": 0, "end": 16, "label": "ACTOR", "text": TEXT_A[:16]}],
            }
        ],
    )
    result = assert_ok(invoke(f"annotate push --predictions {predictions} --project '{title}'"))
    assert "1 predictions added" in result.output and "0 documents not in the project" in result.output
    conflict = write_jsonl(
        tmp_path / "c.jsonl",
        [
            {"id": 7, "text": TEXT_A, "model_version": "identity-2"},
            {"id": "7", "text": TEXT_B, "model_version": "identity-2"},
        ],
    )
    assert_refused(invoke(f"annotate push --predictions {conflict} --project '{title}'"), "records 1 and 2", "'7'")
