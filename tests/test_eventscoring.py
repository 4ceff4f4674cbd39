"""Event scores (annotate/eventscoring.py), checked by hand on tiny documents."""

import pytest

from newsgold.annotate.eventscoring import event_scores, event_structure, events_table
from newsgold.annotate.schema import load_schema

SCHEMA = load_schema()
LABELS = list(SCHEMA.label_names)
TEXT = "Militants attacked the police in Kabul and seized the station; 300 residents fled."
# a schema with two roles onto ACTOR, so that a role can be wrong for a span of the right label
ENDS = {
    "agent": ("ACTION", "ACTOR"),
    "target": ("ACTION", "ACTOR"),
    "place": ("ACTION", "LOCATION"),
    "quantity": ("ACTION", "COUNT"),
    "counts": ("COUNT", "ACTOR"),
}


def span(sid, words, label, nth=0):
    start = TEXT.index(words)
    for _ in range(nth):
        start = TEXT.index(words, start + 1)
    return {"id": sid, "start": start, "end": start + len(words), "label": label, "text": words}


P, R, F, C, PRED, G = "precision", "recall", "f1", "correct", "predicted", "gold"


def fig(scores, *keys):
    return tuple(scores[key] for key in keys)


def rel(head, tail, label):
    return {"head": head, "tail": tail, "label": label}


GOLD_SPANS = [
    span("m", "Militants", "ACTOR"),
    span("a", "attacked", "ACTION"),
    span("p", "the police", "ACTOR"),
    span("k", "Kabul", "LOCATION"),
    span("s", "seized", "ACTION"),
    span("t", "the station", "ACTOR"),
]
GOLD = {
    "id": "d",
    "text": TEXT,
    "spans": GOLD_SPANS,
    "relations": [
        rel("a", "m", "agent"),
        rel("a", "p", "target"),
        rel("a", "k", "place"),
        rel("s", "m", "agent"),
        rel("s", "t", "target"),
    ],
}  # Militants: the argument both events share


def scores(predicted, gold=GOLD, ends=ENDS):
    return event_scores([gold], {"d": predicted} if predicted is not None else {}, ends, LABELS)


def test_two_events_by_hand():
    predicted = {
        "id": "d",
        "spans": [
            span("m", "Militants", "ACTOR"),
            span("a", "attacked", "ACTION"),
            span("p", "the police", "ACTOR"),
            span("k", "Kabul", "LOCATION"),
            span("s", "seized the", "ACTION"),  # overlaps gold "seized", not strict
            span("t", "the station", "ACTOR"),
        ],
        "relations": [
            rel("a", "m", "agent"),
            rel("a", "k", "place"),
            rel("a", "p", "agent"),  # the wrong role: gold says target
            rel("s", "m", "agent"),
            rel("s", "t", "target"),
        ],
    }
    report = scores(predicted)
    # triggers, 2 gold and 2 predicted: strict, attacked = attacked, "seized the" != "seized": 1;
    # overlap: both: 2
    assert fig(report["triggers"]["strict"], P, R, F, C) == (0.5, 0.5, 0.5, 1)
    assert report["triggers"]["overlap"]["correct"] == 2
    # arguments, 5 gold (attacked: 3, seized: 2) and 5 predicted (attacked: 3, "seized the": 2)
    # identification strict: only attacked's trigger matches; its 3 spans are its gold event's 3: 3
    ident = report["argument_identification"]
    assert [ident["strict"][k] for k in ("correct", "predicted", "gold", "precision")] == [3, 5, 5, 0.6]
    # identification overlap: "seized the" takes seized's event too, both spans right: 3 + 2
    assert ident["overlap"]["correct"] == 5 and ident["overlap"]["f1"] == 1.0
    # classification strict: attacked's agent Militants and place Kabul; the police as agent is wrong: 2
    # overlap: and seized's agent Militants and target the station: 4
    micro = report["argument_classification"]["micro"]
    assert (micro["strict"]["correct"], micro["overlap"]["correct"]) == (2, 4)
    assert micro["strict"]["f1"] == 0.4 and micro["overlap"]["f1"] == 0.8
    roles = report["argument_classification"]["roles"]
    # agent: predicted 3 (attacked: Militants, the police; seized the: Militants), gold 2 (Militants twice)
    # strict: 1 (attacked's Militants): P 1/3, R 1/2; overlap: 2: P 2/3, R 1
    assert fig(roles["agent"]["strict"], P, R, F) == (0.3333, 0.5, 0.4)
    assert fig(roles["agent"]["overlap"], P, R) == (0.6667, 1.0)
    # target: predicted 1 (the station), gold 2 (the police, the station): strict 0, overlap 1
    assert (roles["target"]["strict"]["correct"], roles["target"]["overlap"]["recall"]) == (0, 0.5)
    assert roles["place"]["strict"]["f1"] == 1.0
    # quantity: scored (the document is gold for COUNT), no argument on either side: nothing to compare
    assert roles["quantity"]["strict"]["f1"] is None and roles["quantity"]["strict"]["gold"] == 0
    assert report["unscored"] == {} and report["documents"] == 1
    # counts is no role: scored as a relation, apart from the events
    assert list(report["relations"]["types"]) == ["counts"]
    table = events_table(report)
    assert "| argument classification: agent | 0.333 | 0.500 | 0.400 | 0.667 | 1.000 | 0.800 | 2 | 3 |" in table
    assert "| relation: counts |" in table


def test_the_roles_are_the_relations_from_the_trigger_and_a_schema_gives_them():
    assert event_structure(ENDS)[1:] == ("ACTION", ["agent", "target", "place", "quantity"])
    ends, trigger, roles = event_structure(SCHEMA)
    assert ends == SCHEMA.relation_ends and trigger == "ACTION" and roles == ["agent", "place", "quantity"]


def test_each_gold_argument_counts_once_and_another_events_argument_is_wrong():
    predicted = {
        "id": "d",
        "spans": GOLD_SPANS,
        "relations": [
            rel("a", "m", "agent"),
            rel("a", "m", "agent"),  # twice
            rel("a", "t", "target"),
        ],
    }  # the station is seized's target, not attacked's
    report = scores(predicted)
    assert fig(report["argument_identification"]["overlap"], C, PRED, G) == (1, 3, 5)
    assert report["argument_classification"]["roles"]["agent"]["strict"]["correct"] == 1


def test_a_document_gold_for_no_action_is_scored_on_counts_alone():
    spans = [*GOLD_SPANS, span("n", "300", "COUNT"), span("r", "residents", "ACTOR"), span("f", "fled", "ACTION")]
    gold = dict(
        GOLD,
        spans=[s for s in spans if s["label"] != "ACTION"],
        relations=[rel("n", "r", "counts")],
        annotated_labels=["ACTOR", "LOCATION", "COUNT"],
    )  # as re3d
    predicted = {
        "id": "d",
        "spans": spans,
        "relations": [*GOLD["relations"], rel("f", "r", "agent"), rel("n", "r", "counts")],
    }
    report = event_scores([gold], {"d": predicted}, SCHEMA, LABELS)
    assert report["documents"] == 0 and set(report["unscored"]) == {"ACTION"}
    assert report["triggers"]["strict"]["f1"] is None and report["triggers"]["strict"]["predicted"] == 0
    assert "not scored" in report["triggers"]["strict"]["reason"]
    assert report["argument_classification"]["roles"] == {}
    assert report["relations"]["types"]["counts"]["strict"]["f1"] == 1.0
    table = events_table(report)
    assert "trigger" not in table and "| relation: counts | 1.000 |" in table


def test_a_role_whose_argument_label_the_document_is_not_gold_for_is_not_scored():
    gold = dict(GOLD, annotated_labels=["ACTOR", "ACTION"])
    report = scores({"id": "d", "spans": GOLD_SPANS, "relations": GOLD["relations"]}, gold)
    assert list(report["argument_classification"]["roles"]) == ["agent", "target"]
    assert set(report["unscored"]) == {"place", "quantity"}
    # place (Kabul) counts on neither side: 4 arguments, all right
    assert fig(report["argument_identification"]["strict"], C, PRED, G) == (4, 4, 4)


@pytest.mark.parametrize("predicted", [None, {"id": "d", "spans": [], "relations": []}], ids=["no-record", "empty"])
def test_empty_predictions_score_zero_with_the_gold_counts(predicted):
    report = scores(predicted)
    for figures in (report["triggers"], report["argument_identification"], report["argument_classification"]["micro"]):
        strict = figures["strict"]
        assert (strict["recall"], strict["f1"], strict["precision"], strict["predicted"]) == (0.0, 0.0, None, 0)
    assert report["triggers"]["strict"]["gold"] == 2 and report["argument_identification"]["strict"]["gold"] == 5
    assert report["argument_classification"]["roles"]["agent"]["overlap"]["gold"] == 2


def test_relations_whose_endpoints_are_not_spans_are_no_argument():
    predicted = {
        "id": "d",
        "spans": GOLD_SPANS,
        "relations": [
            rel("a", "m", "agent"),
            rel("a", "gone", "target"),
            rel("nowhere", "k", "place"),
            rel("m", "p", "agent"),  # its head is no trigger
            rel("a", "k", "unknown"),
        ],
    }  # no type of the schema
    report = scores(predicted)
    assert fig(report["argument_identification"]["strict"], C, PRED, G) == (1, 1, 5)
    assert report["relations"]["micro"]["strict"]["predicted"] == 0


def test_score_documents_and_annotate_score_report_the_events(tmp_path):
    import json

    from click.testing import CliRunner

    from newsgold.annotate.cli import cli
    from newsgold.annotate.scoring import score_documents

    gold = dict(GOLD, relations=[r for r in GOLD["relations"] if r["label"] != "target"])  # the schema's roles
    predicted = dict(gold, relations=gold["relations"][:1])  # attacked's agent alone
    report = score_documents([gold], [predicted], LABELS, schema=SCHEMA)
    # 3 gold arguments (attacked: Militants, Kabul; seized: Militants), 1 predicted and right
    assert fig(report["events"]["argument_classification"]["micro"]["strict"], C, PRED, G) == (1, 1, 3)
    assert report["events"]["triggers"]["strict"]["f1"] == 1.0
    assert "events" not in score_documents([gold], [predicted], LABELS)  # neither ends nor schema: spans only
    gold_file, pred_file = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    gold_file.write_text(json.dumps(gold) + "\n")
    pred_file.write_text(json.dumps(predicted) + "\n")
    result = CliRunner().invoke(cli, ["score", str(gold_file), str(pred_file)])
    assert result.exit_code == 0, result.output
    assert "| trigger identification = classification (ACTION) | 1.000 | 1.000 | 1.000 |" in result.output
    assert "| **argument classification (micro)** | 1.000 | 0.333 | 0.500 |" in result.output
    as_json = json.loads(CliRunner().invoke(cli, ["score", str(gold_file), str(pred_file), "--json"]).output)
    assert as_json["events"]["argument_identification"]["overlap"]["recall"] == 0.3333
    assert as_json["events"]["roles"] == ["agent", "place", "quantity"]
