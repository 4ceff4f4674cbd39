"""Relation scores (annotate/relscoring.py) and `annotate score` showing them."""

import json

from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.relscoring import relation_scores
from newsgold.annotate.schema import load_schema

ENDS = load_schema().relation_ends
LABELS = list(load_schema().label_names)
TEXT = "Afghan soldiers fled into Tajikistan; 300 crossed."


def span(sid, start, end, label):
    return {"id": sid, "start": start, "end": end, "label": label, "text": TEXT[start:end]}


GOLD_SPANS = [
    span("a", 0, 15, "ACTOR"),
    span("f", 16, 20, "ACTION"),
    span("t", 26, 36, "LOCATION"),
    span("n", 38, 41, "COUNT"),
    span("c", 42, 49, "ACTION"),
]
GOLD = {
    "id": "d",
    "text": TEXT,
    "spans": GOLD_SPANS,
    "relations": [
        {"head": "f", "tail": "a", "label": "agent"},
        {"head": "f", "tail": "t", "label": "place"},
        {"head": "c", "tail": "n", "label": "quantity"},
    ],
}


def scored(spans, relations, gold=GOLD):
    return relation_scores([gold], {"d": {"id": "d", "spans": spans, "relations": relations}}, ENDS, LABELS)


def test_strict_and_overlap():
    spans = [span("x", 7, 15, "ACTOR"), span("f", 16, 20, "ACTION"), span("t", 26, 36, "LOCATION")]
    report = scored(
        spans,
        [
            {"head": "f", "tail": "x", "label": "agent"},  # overlapping agent
            {"head": "f", "tail": "t", "label": "place"},  # exact
            {"head": "f", "tail": "t", "label": "agent"},
        ],
    )  # wrong type for its ends
    assert report["micro"]["strict"]["correct"] == 1 and report["micro"]["overlap"]["correct"] == 2
    assert report["micro"]["strict"]["gold"] == 3 and report["micro"]["strict"]["predicted"] == 3
    assert report["types"]["agent"]["overlap"]["precision"] == 0.5
    assert report["types"]["quantity"]["strict"]["recall"] == 0.0
    assert report["unscored"] == []


def test_each_gold_relation_counts_once():
    twice = [{"head": "f", "tail": "a", "label": "agent"}] * 2
    report = scored(GOLD_SPANS, twice)
    assert report["types"]["agent"]["strict"]["correct"] == 1
    assert report["types"]["agent"]["strict"]["predicted"] == 2


def test_a_document_not_gold_for_an_end_is_not_scored_on_it():
    gold = dict(GOLD, annotated_labels=["ACTOR", "LOCATION", "COUNT"], relations=[])
    report = scored(GOLD_SPANS, GOLD["relations"], gold)
    # counts links COUNT to ACTOR, which it is gold for; the three ACTION relations are not scored
    assert list(report["types"]) == ["counts"] and report["unscored"] == ["agent", "place", "quantity"]
    assert report["micro"]["strict"]["predicted"] == 0


def test_annotate_score_prints_relations(tmp_path):
    gold, pred = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    gold.write_text(json.dumps(GOLD) + "\n")
    pred.write_text(json.dumps(dict(GOLD, relations=GOLD["relations"][:1])) + "\n")
    result = CliRunner().invoke(cli, ["score", str(gold), str(pred)])
    assert result.exit_code == 0, result.output
    assert "| agent | 1.000 | 1.000 | 1.000 |" in result.output
    assert "| **micro** | 1.000 | 0.333 | 0.500 |" in result.output
    as_json = json.loads(CliRunner().invoke(cli, ["score", str(gold), str(pred), "--json"]).output)
    assert as_json["relations"]["micro"]["overlap"]["recall"] == 0.3333
