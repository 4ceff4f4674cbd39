"""What `annotate push` refuses before it contacts Label Studio: a project title Label Studio would
refuse or store differently, and a predictions file that would store wrong spans or lose some."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.documents import make_document
from newsgold.annotate.errors import DocumentError, NewsgoldError, SpanError
from newsgold.annotate.preannotate import RuleAnnotator
from newsgold.annotate.schema import load_schema
from newsgold.annotate.studio.push import check_predictions, check_title

TEXT = "Officials said 40 Taliban fighters attacked a police post in Kunduz on Tuesday."
SCHEMA = load_schema(None)


@pytest.fixture(scope="module")
def record() -> dict:
    """A rule prediction with spans and relations, as `annotate preannotate` writes it."""
    made = RuleAnnotator().warm_up().annotate(make_document(TEXT, "t", "t")).to_record()
    assert made["spans"] and made["relations"], made  # the cases below spoil both
    return made


def spoiled(record: dict, change) -> dict:
    copy = json.loads(json.dumps(record))
    change(copy)
    return copy


@pytest.mark.parametrize("title", ["abc", "newsgold demo", "x" * 50, "ééé"])
def test_titles_label_studio_stores_as_given_pass(title):
    assert check_title(title) == title


@pytest.mark.parametrize(
    "title, says",
    [
        ("ab", "has 2 characters; Label Studio takes 3 to 50"),
        ("", "has 0 characters"),
        ("x" * 51, "has 51 characters"),
        (" demo", "starts or ends with spaces; give it as 'demo'"),
        ("demo\t", "give it as 'demo'"),
    ],
)
def test_titles_label_studio_refuses_or_trims_are_refused(title, says):
    with pytest.raises(NewsgoldError) as refused:
        check_title(title)
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_rule_predictions_pass(record):
    check_predictions([record, dict(record)], "p.jsonl", SCHEMA)  # an identical repeat is harmless


BAD = [
    ("past-the-end", lambda r: r["spans"][0].update(end=len(r["text"]) + 7), SpanError, "outside the text"),
    ("label-outside-schema", lambda r: r["spans"][0].update(label="WEAPON"), SpanError, "WEAPON"),
    ("text-disagrees", lambda r: r["spans"][0].update(text="somebody"), SpanError, "'somebody'"),
    ("string-offset", lambda r: r["spans"][0].update(start=str(r["spans"][0]["start"])), SpanError, "whole-number"),
    ("fraction-offset", lambda r: r["spans"][0].update(end=r["spans"][0]["end"] + 0.5), SpanError, "whole-number"),
    ("boolean-offset", lambda r: r["spans"][0].update(start=True), SpanError, "whole-number"),
    ("span-not-object", lambda r: r["spans"].append("ACTOR 0 5"), SpanError, "ACTOR 0 5"),
    ("spans-not-list", lambda r: r.update(spans={"start": 0}), SpanError, "not a list"),
    ("overlap", lambda r: r["spans"].append({**r["spans"][0], "id": "o1", "label": "LOCATION"}), SpanError, "overlap"),
    ("shared-span-id", lambda r: r["spans"][1].update(id=r["spans"][0]["id"]), SpanError, "share an id"),
    ("relation-unknown-type", lambda r: r["relations"][0].update(label="WIELDS"), SpanError, "WIELDS"),
    ("relation-missing-span", lambda r: r["relations"][0].update(tail="gone"), SpanError, "gone"),
    (
        "relation-wrong-way",
        lambda r: r["relations"][0].update(head=r["relations"][0]["tail"], tail=r["relations"][0]["head"]),
        SpanError,
        "→",
    ),
    ("no-model-version", lambda r: r.pop("model_version"), DocumentError, "model_version"),
    ("no-id", lambda r: r.pop("id"), DocumentError, '"id"'),
    ("no-text", lambda r: r.pop("text"), DocumentError, '"text"'),
]


@pytest.mark.parametrize("case, change, error, names", BAD, ids=[case[0] for case in BAD])
def test_bad_predictions_are_refused_naming_record_and_span(record, case, change, error, names):
    records = [record, spoiled(record, change)]
    with pytest.raises(error) as refused:
        check_predictions(records, "p.jsonl", SCHEMA)
    message = str(refused.value)
    assert message.startswith("p.jsonl record 2") and names in message and "\n" not in message, message


def test_one_document_predicted_two_ways_is_refused(record):
    other = spoiled(record, lambda r: r["spans"].pop())
    other["relations"] = [
        rel for rel in other["relations"] if {rel["head"], rel["tail"]} <= {s["id"] for s in other["spans"]}
    ]
    with pytest.raises(DocumentError, match=r"p.jsonl record 3 .*is also record 1, with other predictions"):
        check_predictions([record, spoiled(record, lambda r: r.update(id="other")), other], "p.jsonl", SCHEMA)


def test_a_document_without_spans_needs_no_model_version(record):
    check_predictions([{"id": record["id"], "text": record["text"], "spans": []}], "p.jsonl", SCHEMA)


@pytest.mark.parametrize("case", ["past-the-end", "label-outside-schema", "no-model-version"])
def test_the_command_refuses_bad_predictions_before_contacting_the_server(record, tmp_path, monkeypatch, case):
    """Nothing is sent: the server named here does not exist, and the refusal still names the span."""
    change = next(change for name, change, _, _ in BAD if name == case)
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps(spoiled(record, change)) + "\n")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "unused")
    result = CliRunner().invoke(cli, ["push", "--predictions", str(path), "--project", "newsgold demo"])
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert result.exit_code == 1 and len(errors) == 1 and "record 2" in errors[0], result.output
    assert "unreachable" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args", [["push", "SEEDS"], ["push", "--predictions", "PRED"]])
def test_the_command_refuses_a_short_title_before_reading_or_connecting(record, tmp_path, monkeypatch, args):
    pred = tmp_path / "p.jsonl"
    pred.write_text(json.dumps(record) + "\n")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "unused")
    argv = [str(pred) if a == "PRED" else str(tmp_path / "missing.txt") if a == "SEEDS" else a for a in args]
    result = CliRunner().invoke(cli, argv + ["--project", "ab"])
    assert result.exit_code == 1, result.output
    assert (
        result.output.strip() == "Error: project title 'ab' has 2 characters; Label Studio takes 3 to 50, "
        "choose another --project"
    )
