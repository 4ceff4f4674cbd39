"""`annotate status`: annotation time per model_version the annotation was started from."""

import math

from newsgold.annotate.studio.status import NO_PREANNOTATION, UNKNOWN_PREDICTION, project_status, started_from

TEXT = "Officials said 40 Taliban fighters crossed into Pakistan."


def task(predictions, annotations):
    return {"data": {"text": TEXT}, "predictions": predictions, "annotations": annotations}


def prediction(pid, version):
    return {"id": pid, "model_version": version, "result": []}


def annotation(lead_time, parent=None, cancelled=False, who=1):
    return {
        "completed_by": who,
        "result": [],
        "lead_time": lead_time,
        "parent_prediction": parent,
        "was_cancelled": cancelled,
    }


def times(tasks):
    return project_status(tasks)["annotation_time"]


def test_an_annotation_counts_for_the_prediction_it_was_started_from_across_rounds():
    rounds = [prediction(1, "rules-a"), prediction(2, "tagger-b")]
    status = times(
        [
            task(rounds, [annotation(10.0, parent=1)]),
            task([prediction(3, "rules-a"), prediction(4, "tagger-b")], [annotation(30.0, parent=4)]),
            task([prediction(5, "rules-a"), prediction(6, "tagger-b")], [annotation(50.0, parent=6)]),
        ]
    )
    assert status["rules-a"] == {
        "annotations": 1,
        "skipped": 0,
        "timed": 1,
        "mean_seconds": 10.0,
        "median_seconds": 10.0,
    }
    assert status["tagger-b"]["annotations"] == 2
    assert status["tagger-b"]["mean_seconds"] == 40.0 and status["tagger-b"]["median_seconds"] == 40.0
    assert NO_PREANNOTATION not in status


def test_mean_and_median_differ_when_one_annotator_left_the_editor_open():
    status = times(
        [
            task([prediction(k, "v")], [annotation(seconds, parent=k)])
            for k, seconds in enumerate([10.0, 20.0, 90.0], start=1)
        ]
    )
    assert status["v"]["mean_seconds"] == 40.0
    assert status["v"]["median_seconds"] == 20.0


def test_skipped_annotations_are_counted_apart_and_not_timed():
    status = times(
        [task([prediction(1, "v")], [annotation(999.0, parent=1, cancelled=True), annotation(12.0, parent=1, who=2)])]
    )
    assert status["v"] == {"annotations": 1, "skipped": 1, "timed": 1, "mean_seconds": 12.0, "median_seconds": 12.0}


def test_annotations_without_a_usable_lead_time_are_counted_but_not_timed():
    hostile = [None, "12", math.nan, math.inf, -3.0, True, {"seconds": 4}]
    annotations = [annotation(value, parent=1, who=n) for n, value in enumerate(hostile)] + [annotation(0, parent=1)]
    status = times([task([prediction(1, "v")], annotations)])
    assert status["v"]["annotations"] == len(hostile) + 1
    assert status["v"]["timed"] == 1 and status["v"]["mean_seconds"] == 0.0


def test_only_untimed_annotations_give_no_mean():
    status = times([task([prediction(1, "v")], [annotation(None, parent=1)])])
    assert status["v"] == {"annotations": 1, "skipped": 0, "timed": 0, "mean_seconds": None, "median_seconds": None}


def test_an_annotation_begun_empty_or_from_a_lost_prediction_has_its_own_group():
    status = times(
        [
            task([prediction(1, "v")], [annotation(5.0), annotation(7.0, parent=99, who=2)]),
            task([], [annotation(9.0)]),
        ]
    )
    assert status[NO_PREANNOTATION]["annotations"] == 2 and status[NO_PREANNOTATION]["mean_seconds"] == 7.0
    assert status[UNKNOWN_PREDICTION]["mean_seconds"] == 7.0
    assert "v" not in status


def test_started_from_names_a_prediction_without_model_version_like_the_prediction_counts():
    assert started_from({"parent_prediction": 1}, {1: "(none)"}) == "(none)"
    assert started_from({}, {1: "v"}) == NO_PREANNOTATION
    status = project_status([task([{"id": 1, "result": []}], [annotation(3.0, parent=1)])])
    assert set(status["annotation_time"]) == set(status["predictions"]) == {"(none)"}
