"""Issue 20, class 6: training and scoring on small or odd data.

Datasets are built here from generated gold JSONL through `annotate export --from` (a story id
per document, chosen so that each lands in the split the test wants), then run through
`train fit / evaluate / curve / predict` and `annotate score`. Small data is normal at the start
of a project: what cannot be computed is refused in one line saying why and what to do, or shown
as "–" / null with its reason; what can is scored, right (small cases checked by hand); nothing
prints NaN.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from newsgold.annotate.export.batches import DEFAULT_RATIOS, split_of
from tests.hostile.kit import assert_ok, assert_refused, digests, invoke

ACTORS = ["Rebels", "Soldiers", "Villagers", "Officials", "Fighters", "Police", "Farmers", "Students"]
PLACES = ["Kabul", "Herat", "Kunduz", "Mosul", "Aleppo", "Sanaa", "Tripoli", "Goma"]
NAN = re.compile(r"\bnan\b", re.I)


def story_in(split: str, n: int) -> str:
    """The n-th story id that `annotate export` (default seed and ratios) puts into `split`."""
    found = (f"story-{i}" for i in range(10_000) if split_of(f"story-{i}", 13, DEFAULT_RATIOS) == split)
    for _ in range(n):
        next(found)
    return next(found)


def gold_record(n: int, split: str = "train", annotated=("ACTOR", "LOCATION"), spans=("ACTOR", "LOCATION")) -> dict:
    actor, place = ACTORS[n % len(ACTORS)], PLACES[(n * 3) % len(PLACES)]
    text = f"{actor} fled to {place} on day {n}."
    found = []
    for word, label in ((actor, "ACTOR"), (place, "LOCATION")):
        if label in spans:
            start = text.index(word)
            found.append({"start": start, "end": start + len(word), "label": label, "text": word})
    return {
        "id": f"doc-{split}-{n}",
        "text": text,
        "story_id": story_in(split, n),
        "spans": found,
        "annotated_labels": list(annotated),
    }


def export(folder: Path, name: str, records: list[dict]) -> Path:
    gold = folder / f"{name}.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert_ok(invoke(["annotate", "export", "--from", gold, "--out", folder / name]))
    return folder / name


def no_nan(*texts: str) -> None:
    for text in texts:
        assert not NAN.search(text), text


def fit(dataset: Path, out: Path) -> Path:
    assert_ok(invoke(["train", "fit", dataset, "--out", out]))
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    """The datasets and models the tests share."""
    root = tmp_path_factory.mktemp("small")
    sets = {
        # the README newcomer: one annotated document, so validation and test are empty
        "one": [gold_record(0)],
        # train and validation only: test is empty
        "no-test": [gold_record(i) for i in range(3)] + [gold_record(i, "validation") for i in range(2)],
        # documents, but not one entity span
        "no-spans": [gold_record(i, spans=()) for i in range(4)],
        # spans, but no label that every train document is gold for
        "mixed": [gold_record(i, annotated=("ACTOR",), spans=("ACTOR",)) for i in range(2)]
        + [gold_record(i + 2, annotated=("LOCATION",), spans=("LOCATION",)) for i in range(2)],
        # gold for ACTOR only / LOCATION only, every split filled
        "actor": [gold_record(i, s, ("ACTOR",), ("ACTOR",)) for s in ("train", "validation", "test") for i in range(3)],
        "location": [
            gold_record(i, s, ("LOCATION",), ("LOCATION",)) for s in ("train", "validation", "test") for i in range(3)
        ],
        # train gold for ACTOR, the held-out splits gold for LOCATION only
        "disjoint": [gold_record(i, "train", ("ACTOR",), ("ACTOR",)) for i in range(3)]
        + [gold_record(i, s, ("LOCATION",), ("LOCATION",)) for s in ("validation", "test") for i in range(2)],
        # both labels everywhere
        "both": [gold_record(i, s) for s in ("train", "validation", "test") for i in range(3)],
        # the first train documents hold no span: small curve steps learn nothing
        "late-spans": [gold_record(i, spans=() if i < 3 else ("ACTOR", "LOCATION")) for i in range(4)]
        + [gold_record(i, "validation") for i in range(2)],
    }
    paths = {name: export(root, name, records) for name, records in sets.items()}
    paths["root"] = root
    paths["one-model"] = fit(paths["one"], root / "one-model")
    paths["actor-model"] = fit(paths["actor"], root / "actor-model")
    return paths


# ------------------------------------------------------------------ the README newcomer, end to end


def test_newcomer_one_annotated_document_fit_evaluate_predict_score(data, tmp_path):
    """`train fit exports/demo` then `train evaluate exports/demo-model exports/demo` after
    annotating one task: a clear refusal naming the empty split and the fix, not a traceback;
    the fixes it names work."""
    model, dataset = data["one-model"], data["one"]
    metadata = json.loads((model / "metadata.json").read_text())
    assert metadata["train_documents"] == 1 and metadata["labels"] == ["ACTOR", "LOCATION"]
    error = assert_refused(
        invoke(["train", "evaluate", model, dataset]), "'test'", "train (1 document)", "--split train"
    )
    no_nan(error)
    assert not (model / "eval-test").exists()  # no partial report
    result = assert_ok(invoke(["train", "evaluate", model, dataset, "--split", "train"]))
    no_nan(result.output)
    report = json.loads((model / "eval-train" / "report.json").read_text())
    assert report["labels"]["ACTOR"]["strict"]["gold"] == 1 and report["labels"]["LOCATION"]["strict"]["gold"] == 1
    assert report["averages"]["micro"]["f1"] == 1.0  # it learns its one document
    assert_refused(
        invoke(["train", "curve", dataset, "--out", tmp_path / "curve"]), "'validation'", "train (1 document)"
    )
    assert not (tmp_path / "curve").exists()
    predictions = tmp_path / "pred.jsonl"
    assert_ok(invoke(["train", "predict", model, data["root"] / "one.jsonl", "-o", predictions]))
    result = assert_ok(invoke(["annotate", "score", data["root"] / "one.jsonl", predictions, "--json"]))
    scored = json.loads(result.stdout)
    assert scored["micro"]["strict"]["f1"] == 1.0 and scored["micro"]["strict"]["gold"] == 2
    assert scored["labels"]["COUNT"]["strict"]["f1"] is None and "COUNT" in scored["unscored"]


# ------------------------------------------------------------------ refusals: one true line, nothing written


@pytest.mark.parametrize(
    "argv, names",
    [
        ("train evaluate {m} {d[one]}", ["'test'", "train (1 document)", "--split train"]),
        ("train evaluate {m} {d[one]} --split validation", ["'validation'", "train (1 document)"]),
        (
            "train evaluate {m} {d[no-test]}",
            ["'test'", "train (3 documents)", "validation (2 documents)", "--split validation"],
        ),
        ("train curve {d[one]} --out {out}", ["'validation'", "train (1 document)"]),
        ("train curve {d[no-test]} --out {out} --split test", ["'test'", "--split validation"]),
    ],
    ids=["evaluate-test", "evaluate-validation", "evaluate-other-split", "curve-validation", "curve-test"],
)
def test_an_empty_split_is_refused_naming_the_splits_that_have_documents(data, tmp_path, argv, names):
    before = digests(data["one-model"], data["one"], data["no-test"])
    error = assert_refused(invoke(argv.format(d=data, m=data["one-model"], out=tmp_path / "out")), *names)
    assert "no documents" in error
    assert digests(data["one-model"], data["one"], data["no-test"]) == before  # no partial report
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["fit", "curve"])
def test_an_empty_train_split_is_refused_and_the_fix_it_names_works(tmp_path, command):
    """One annotated story can land in validation or test (the split is by story): the newcomer's
    `train fit exports/demo` is told where the document went and how to train on it."""
    records = [gold_record(0, "validation")]
    dataset = export(tmp_path, "elsewhere", records)
    out = tmp_path / "out"
    assert_refused(
        invoke(["train", command, dataset, "--out", out]),
        "'train' has no documents",
        "validation (1 document)",
        "--ratios 1,0,0",
    )
    assert not out.exists()
    gold = tmp_path / "elsewhere.jsonl"
    assert_ok(invoke(["annotate", "export", "--from", gold, "--out", tmp_path / "all", "--ratios", "1,0,0"]))
    if command == "fit":
        assert_ok(invoke(["train", "fit", tmp_path / "all", "--out", out]))


@pytest.mark.parametrize("command", ["fit", "curve"])
@pytest.mark.parametrize(
    "dataset, names",
    [
        ("no-spans", ["no entity span", "4 documents", "annotate spans"]),
        ("mixed", ["can learn no label", "ACTOR: gold in 2 of the 4", "LOCATION: gold in 2 of the 4"]),
    ],
)
def test_a_train_split_with_nothing_to_learn_is_refused_saying_why(data, tmp_path, command, dataset, names):
    out = tmp_path / "out"
    assert_refused(invoke(["train", command, data[dataset], "--out", out]), str(data[dataset]), *names)
    assert not out.exists()


def test_a_fit_on_data_without_entities_gives_no_false_reason(data, tmp_path):
    """The old message said the labels were 'not gold in every training document', which is false
    when every document is gold for them and none has a span."""
    error = assert_refused(invoke(["train", "fit", data["no-spans"], "--out", tmp_path / "m"]))
    assert "gold in" not in error and "no entity span" in error


@pytest.mark.parametrize(
    "argv, names",
    [
        ("train evaluate {d[actor-model]} {d[location]} --split test", ["learned ACTOR", "gold for LOCATION"]),
        ("train curve {d[disjoint]} --out {out}", ["ACTOR", "'validation'", "gold for LOCATION"]),
    ],
    ids=["evaluate", "curve"],
)
def test_no_label_shared_by_model_and_gold_is_refused_naming_both(data, tmp_path, argv, names):
    before = digests(data["actor-model"])
    assert_refused(invoke(argv.format(d=data, out=tmp_path / "out")), *names)
    assert digests(data["actor-model"]) == before and not (tmp_path / "out").exists()


def test_a_model_that_learned_no_label_is_refused_not_nan(data, tmp_path):
    """A model folder whose tagger learned nothing (older newsgold fitted one on data without
    spans) printed nan and exited 0."""
    import hashlib
    import shutil

    import skops.io as sio

    from newsgold.train.tagger import SequenceTagger

    model = tmp_path / "empty-model"
    shutil.copytree(data["one-model"], model)
    sio.dump(SequenceTagger().fit([["Rebels", "fled", "."]], [["O", "O", "O"]]), model / "model.skops")
    metadata = json.loads((model / "metadata.json").read_text())
    metadata.update(labels=[], model_sha256=hashlib.sha256((model / "model.skops").read_bytes()).hexdigest())
    (model / "metadata.json").write_text(json.dumps(metadata))
    error = assert_refused(invoke(["train", "evaluate", model, data["one"], "--split", "train"]), "learned no label")
    no_nan(error)


# ------------------------------------------------------------------ scoring what can be scored, naming the rest


def test_a_model_of_one_label_on_gold_of_two_scores_the_shared_label_and_names_the_other(data):
    model = data["actor-model"]
    result = assert_ok(invoke(["train", "evaluate", model, data["both"], "--split", "test"]))
    no_nan(result.output)
    report = json.loads((model / "eval-test" / "report.json").read_text())
    actor, location = report["labels"]["ACTOR"]["strict"], report["labels"]["LOCATION"]["strict"]
    assert actor["gold"] == 3 and actor["f1"] is not None
    assert location == {
        "precision": None,
        "recall": None,
        "f1": None,
        "correct": 0,
        "predicted": 0,
        "gold": 3,
        "partial": 0,
        "reason": location["reason"],
    }
    assert "not scored: the model did not learn it" in location["reason"]
    assert list(report["unscored"]) == ["LOCATION"]
    # the averages are over ACTOR alone: the unlearned label is named, not counted as a recall of 0
    assert report["micro"]["strict"]["gold"] == 3 and report["averages"]["micro"]["f1"] == actor["f1"]
    assert "| LOCATION | – | – | – |" in result.stdout
    assert "note: LOCATION: not scored: the model did not learn it" in result.output
    markdown = (model / "eval-test" / "report.md").read_text()
    assert "| LOCATION | – |" in markdown and "- LOCATION: not scored" in markdown
    no_nan(markdown, (model / "eval-test" / "report.json").read_text())


def test_figures_of_train_evaluate_checked_by_hand():
    """gold ACTOR 'Rebels fighters', LOCATION 'Kabul'; predicted ACTOR 'Rebels' (boundary wrong),
    LOCATION 'Kabul': ACTOR strict 0/1 predicted, 0/1 gold; LOCATION 1/1; micro P = R = F1 = 1/2.
    COUNT (learned, no span either side) cannot be computed; ACTION (gold, not learned) is named."""
    from newsgold.train.evaluate import evaluate

    gold = [["B-ACTOR", "I-ACTOR", "O", "O", "B-LOCATION"]]
    predicted = [["B-ACTOR", "O", "O", "O", "B-LOCATION"]]
    report = evaluate(gold, predicted, [["ACTOR", "LOCATION", "COUNT", "ACTION"]], ["ACTOR", "LOCATION", "COUNT"])
    strict = {label: report["labels"][label]["strict"] for label in report["labels"]}
    assert (strict["ACTOR"]["precision"], strict["ACTOR"]["recall"], strict["ACTOR"]["f1"]) == (0.0, 0.0, 0.0)
    assert (strict["LOCATION"]["precision"], strict["LOCATION"]["recall"], strict["LOCATION"]["f1"]) == (1.0, 1.0, 1.0)
    assert strict["COUNT"]["f1"] is None and "nothing to compare" in strict["COUNT"]["reason"]
    assert strict["ACTION"]["f1"] is None and report["unscored"] == {"ACTION": "the model did not learn it"}
    micro = report["micro"]["strict"]
    assert (micro["precision"], micro["recall"], micro["f1"], micro["gold"]) == (0.5, 0.5, 0.5, 2)
    assert report["averages"]["macro"]["f1"] == 0.5  # mean of ACTOR 0 and LOCATION 1; COUNT undefined, left out
    assert "COUNT" in report["averages"]["macro"]["reason"]
    # partial: 'Rebels' overlaps 'Rebels fighters': half a point
    assert report["labels"]["ACTOR"]["partial"]["f1"] == 0.5


def test_a_curve_point_that_cannot_be_computed_says_why(data, tmp_path):
    result = assert_ok(invoke(["train", "curve", data["late-spans"], "--out", tmp_path / "c", "--steps", "4"]))
    no_nan(result.output)
    points = json.loads((tmp_path / "c" / "curve.json").read_text())
    assert [p["documents"] for p in points] == [1, 2, 3, 4]
    for point in points:
        assert (point["f1"] is None) == ("reason" in point)
    assert points[-1]["f1"] is not None and points[-1]["labels"] == ["ACTOR", "LOCATION"]
    undefined = [p for p in points if p["f1"] is None]
    assert undefined and all("teach" in p["reason"] for p in undefined)
    assert "strict micro F1 – (the first" in result.output


def test_a_curve_with_more_steps_than_documents_fits_each_size_once(data, tmp_path):
    result = assert_ok(invoke(["train", "curve", data["both"], "--out", tmp_path / "c", "--steps", "7"]))
    points = json.loads((tmp_path / "c" / "curve.json").read_text())
    assert [p["documents"] for p in points] == [1, 2, 3] and all(p["f1"] is not None for p in points)
    no_nan(result.output)


def test_fit_names_why_each_label_was_not_learned(data, tmp_path):
    records = [
        gold_record(i, annotated=("ACTOR", "LOCATION", "COUNT"), spans=("ACTOR",) if i else ("ACTOR", "LOCATION"))
        for i in range(3)
    ] + [gold_record(3, annotated=("ACTOR",), spans=("ACTOR",))]
    dataset = export(tmp_path, "partial", records)
    result = assert_ok(invoke(["train", "fit", dataset, "--out", tmp_path / "m"]))
    metadata = json.loads((tmp_path / "m" / "metadata.json").read_text())
    assert metadata["labels"] == ["ACTOR"]
    assert metadata["not_learned_because"] == {
        "COUNT": "gold in 3 of the 4 training documents, not all; no span of it in the train split",
        "LOCATION": "gold in 3 of the 4 training documents, not all",
    }
    assert "not learned: LOCATION (gold in 3 of the 4 training documents, not all;" in result.output


# ------------------------------------------------------------------ annotate score: predictions checked against the gold


TEXT = "Rebels fighters fled to Kabul and Herat."


def write(path: Path, *records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture()
def gold(tmp_path) -> Path:
    return write(
        tmp_path / "gold.jsonl",
        {
            "id": "a",
            "text": TEXT,
            "annotated_labels": ["ACTOR", "LOCATION"],
            "spans": [
                {"start": 0, "end": 15, "label": "ACTOR"},
                {"start": 24, "end": 29, "label": "LOCATION"},
                {"start": 34, "end": 39, "label": "LOCATION"},
            ],
        },
        {
            "id": "b",
            "text": "Police entered Goma.",
            "annotated_labels": ["ACTOR", "LOCATION", "COUNT"],
            "spans": [{"start": 0, "end": 6, "label": "ACTOR"}],
        },
    )


def span(start, end, label, text=None):
    found = {"start": start, "end": end, "label": label}
    return found if text is None else {**found, "text": text}


def test_score_checked_by_hand(gold, tmp_path):
    """Document a: ACTOR 'Rebels' (0-6) against gold 'Rebels fighters' (partial), LOCATION Kabul
    right, ACTOR on 'Herat' (the wrong label), COUNT (a is not gold for it: ignored). Document b:
    ACTOR 'Police' right. ACTOR strict: 1 right of 3 predicted, 2 gold: P 1/3, R 1/2, F1 0.4.
    LOCATION: 1 of 1 predicted, 2 gold: P 1, R 1/2, F1 2/3. COUNT: b is gold for it, nobody drew
    one: cannot be computed. ACTION: no document is gold for it: not scored."""
    predicted = write(
        tmp_path / "pred.jsonl",
        {
            "id": "a",
            "text": TEXT,
            "spans": [
                span(0, 6, "ACTOR", "Rebels"),
                span(24, 29, "LOCATION"),
                span(34, 39, "ACTOR"),
                span(16, 20, "COUNT"),
            ],
        },
        {"id": "b", "spans": [span(0, 6, "ACTOR", "Police")]},
        {"id": "c", "text": "Not in the gold.", "spans": []},
    )
    report = json.loads(assert_ok(invoke(["annotate", "score", gold, predicted, "--json"])).stdout)
    actor, location = report["labels"]["ACTOR"]["strict"], report["labels"]["LOCATION"]["strict"]
    assert (actor["precision"], actor["recall"], actor["f1"]) == (0.3333, 0.5, 0.4)
    assert (actor["correct"], actor["predicted"], actor["gold"]) == (1, 3, 2)
    assert (location["precision"], location["recall"], location["f1"]) == (1.0, 0.5, 0.6667)
    count = report["labels"]["COUNT"]["strict"]
    assert count["f1"] is None and count["reason"].startswith("no gold span and no predicted span")
    assert report["unscored"] == {"ACTION": "no gold document is annotated for it"}
    assert report["labels"]["ACTION"]["strict"]["precision"] is None
    assert report["predictions_without_gold"] == 1
    result = assert_ok(invoke(["annotate", "score", gold, predicted]))
    assert "| COUNT | – | – | – |" in result.stdout and "| ACTION | – |" in result.stdout
    assert "note: ACTION: not scored: no gold document is annotated for it" in result.output
    assert "note: 1 predicted document(s) have no gold document" in result.output
    no_nan(result.output)


def test_score_carries_a_prediction_on_the_raw_text(gold, tmp_path):
    """A prediction whose text is the gold's before normalisation (a byte-order mark, CRLF, a
    leading blank line): its offsets are carried onto the normalised text, as the gold's are."""
    raw = "\ufeff\r\n" + TEXT
    predicted = write(
        tmp_path / "pred.jsonl",
        {"id": "a", "text": raw, "spans": [span(3, 18, "ACTOR", "Rebels fighters")]},
        {"id": "b", "spans": []},
    )
    report = json.loads(assert_ok(invoke(["annotate", "score", gold, predicted, "--json"])).stdout)
    assert report["labels"]["ACTOR"]["strict"]["correct"] == 1


@pytest.mark.parametrize(
    "prediction, names",
    [
        (
            {"id": "a", "text": "Rebels fighters fled to Kandahar.", "spans": []},
            ["different texts", "id 'a'", "gold.jsonl line 1"],
        ),
        ({"id": "a", "text": TEXT, "spans": [span(0, 6, "ACTOR")]} | {"text": TEXT.upper()}, ["different texts"]),
        ({"id": "a", "spans": [span(30, 400, "ACTOR")]}, ["30-400", "outside the text", "40 characters"]),
        ({"id": "a", "spans": [span(-3, 4, "ACTOR")]}, ["line 2 span 1", "'start' is -3"]),
        ({"id": "a", "spans": [span(5, 5, "ACTOR")]}, ["5-5", "outside the text"]),
        ({"id": "a", "text": TEXT, "spans": [span(0, 6, "ACTOR", "Police")]}, ["'Police'", "reads 'Rebels'"]),
        (
            {"id": "a", "spans": [span(0, 6, "PERSON")]},
            ["'PERSON'", "not in the schema", "ACTOR, LOCATION, COUNT, ACTION"],
        ),
        ({"id": "c", "spans": [span(0, 6, "PERSON")]}, ["'PERSON'", "not in the schema"]),
        ({"id": "a", "spans": {"start": 0, "end": 6, "label": "ACTOR"}}, ["'spans' is dict", "not a list"]),
        ({"id": "a", "text": 7, "spans": []}, ["'text' is int"]),
    ],
    ids=[
        "other-text",
        "changed-text",
        "past-the-end",
        "negative",
        "empty",
        "wrong-span-text",
        "label-outside-schema",
        "label-outside-schema-unmatched",
        "spans-not-a-list",
        "text-not-a-string",
    ],
)
def test_score_refuses_predictions_that_do_not_fit_the_gold(gold, tmp_path, prediction, names):
    """One line naming the prediction file's line (and the document) and the fix; before this
    check a prediction of another text scored F1 1.000."""
    predicted = write(tmp_path / "pred.jsonl", {"id": "b", "spans": []}, prediction)
    assert_refused(invoke(["annotate", "score", gold, predicted]), f"{predicted} line 2", *names)


def test_score_refuses_two_predictions_of_one_document(gold, tmp_path):
    predicted = write(
        tmp_path / "pred.jsonl",
        {"id": "a", "spans": []},
        {"id": "b", "spans": []},
        {"id": "a", "spans": [span(0, 6, "ACTOR")]},
    )
    assert_refused(
        invoke(["annotate", "score", gold, predicted]), "line 1", "line 3", "predicted twice", "document 'a'"
    )


def test_score_of_an_empty_gold_file_is_refused(tmp_path):
    empty = write(tmp_path / "gold.jsonl")
    predicted = write(tmp_path / "pred.jsonl", {"id": "a", "spans": []})
    assert_refused(
        invoke(["annotate", "score", empty, predicted, "--from-format", "gold"]), str(empty), "no gold document"
    )


def test_score_prints_no_nan_when_nothing_is_predicted(gold, tmp_path):
    predicted = write(tmp_path / "pred.jsonl", {"id": "a", "spans": []}, {"id": "b", "spans": []})
    result = assert_ok(invoke(["annotate", "score", gold, predicted]))
    no_nan(result.output)
    assert "| **micro** | – | 0.000 | 0.000 |" in result.stdout
    assert "note: micro average: precision undefined: no span predicted" in result.output
