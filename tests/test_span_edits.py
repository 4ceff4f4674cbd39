"""The correction effort between predicted and gold spans (`status.compare_spans`): what status
shows as acceptance and what tests/bench/bench_loop.py counts as edits."""

from collections import Counter

from newsgold.annotate.spans import Span
from newsgold.annotate.studio.status import compare_spans, project_status

TEXT = "The Syrian army shelled Aleppo and Homs, killing 12 people near the Turkish border."


def span(text: str, label: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(text, start + 1)
    return Span(start, start + len(text), label, text)


def outcomes(predicted, gold) -> Counter:
    return Counter(outcome for _, outcome in compare_spans(predicted, gold))


def test_exact_spans_are_kept_and_cost_nothing():
    spans = [span("Syrian army", "ACTOR"), span("Aleppo", "LOCATION")]
    assert outcomes(spans, spans) == Counter(kept=2)


def test_relabel_and_resize_count_once_each():
    predicted = [span("Aleppo", "ACTOR"), span("army", "ACTOR")]
    gold = [span("Aleppo", "LOCATION"), span("The Syrian army", "ACTOR")]
    assert compare_spans(predicted, gold) == [("ACTOR", "changed"), ("ACTOR", "changed")]


def test_unmatched_spans_are_deleted_and_added_under_their_own_label():
    predicted = [span("Homs", "LOCATION")]
    gold = [span("12 people", "COUNT")]
    assert compare_spans(predicted, gold) == [("LOCATION", "deleted"), ("COUNT", "added")]


def test_one_predicted_span_over_two_gold_spans_is_a_change_and_an_addition():
    predicted = [span("Aleppo and Homs", "LOCATION")]
    gold = [span("Aleppo", "LOCATION"), span("Homs", "LOCATION")]
    assert outcomes(predicted, gold) == Counter(changed=1, added=1)


def test_two_predicted_spans_over_one_gold_span_are_a_change_and_a_deletion():
    predicted = [span("Syrian", "LOCATION"), span("army", "ACTOR")]
    gold = [span("The Syrian army", "ACTOR")]
    assert outcomes(predicted, gold) == Counter(changed=1, deleted=1)


def test_pairs_are_as_many_as_possible_not_greedy_by_overlap():
    # "the Turkish border" overlaps "near the Turkish" most; pairing those two would leave "near"
    # unpaired (a deletion and an addition: one edit more). A maximum matching pairs both.
    predicted = [span("the Turkish border", "LOCATION"), span("near", "LOCATION")]
    gold = [span("near the Turkish", "LOCATION"), span("border", "LOCATION")]
    assert outcomes(predicted, gold) == Counter(changed=2)


def test_nothing_predicted_means_every_gold_span_is_added():
    gold = [span("Syrian army", "ACTOR"), span("Aleppo", "LOCATION"), span("12 people", "COUNT")]
    assert outcomes([], gold) == Counter(added=3)
    assert outcomes(gold, []) == Counter(deleted=3)


def test_status_acceptance_uses_the_same_pairing():
    def region(s: Span) -> dict:
        return {
            "id": f"r{s.start}",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": s.start, "end": s.end, "text": s.text, "labels": [s.label]},
        }

    predicted = [span("Aleppo and Homs", "LOCATION"), span("Syrian army", "ACTOR")]
    human = [span("Aleppo", "LOCATION"), span("Homs", "LOCATION"), span("Syrian army", "ACTOR")]
    task = {
        "id": 1,
        "data": {"text": TEXT},
        "annotations": [{"id": 1, "completed_by": 1, "result": [region(s) for s in human]}],
        "predictions": [{"model_version": "m", "result": [region(s) for s in predicted]}],
    }
    acceptance = project_status([task])["acceptance"]["m"]
    assert acceptance == {"ACTOR": {"kept": 1}, "LOCATION": {"changed": 1, "added": 1}}
