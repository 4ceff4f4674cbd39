import json
from pathlib import Path

import pytest

from newsgold.annotate.schema import load_schema
from newsgold.annotate.spans import Span, check_spans
from tests.conftest import read_documents

GOLD = Path(__file__).resolve().parent.parent / "seeds" / "gold"


def load_gold(name="seeds"):
    return [json.loads(line) for line in (GOLD / f"{name}.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("name", ["seeds", "heldout"])
def test_gold_matches_the_hand_annotation(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_gold", GOLD / "build_gold.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build(GOLD / f"{name}.ann") == load_gold(name)


def test_heldout_gold_is_consistent_with_schema():
    from newsgold.annotate.tokens import tokenize

    for record in load_gold("heldout"):
        spans = check_spans(record["text"], [Span.from_dict(s) for s in record["spans"]])
        starts = {t.start for t in tokenize(record["text"])}
        assert all(s.start in starts for s in spans)
        assert record["source"].startswith("re3d/")


def test_gold_is_consistent_with_seeds_and_schema():
    schema = load_schema()
    ends = {r.name: (r.head, r.tail) for r in schema.relations}
    for record in load_gold():
        (doc,), _ = read_documents([GOLD.parent / record["source"]])
        assert record["id"] == doc.id and record["text"] == doc.text
        spans = check_spans(doc.text, [Span.from_dict(s) for s in record["spans"]])
        by_id = {s.id: s for s in spans}
        assert {s.label for s in spans} == set(schema.label_names)
        for relation in record["relations"]:
            assert (by_id[relation["head"]].label, by_id[relation["tail"]].label) == ends[relation["label"]]


def _builder():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_gold", GOLD / "build_gold.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_starter_gold_matches_its_annotations_and_agreement(capsys):
    module = _builder()
    built = module.build_starter()
    for split, records in built.items():
        assert records == load_gold(f"starter/{split}"), f"starter/{split}.jsonl: rebuild with build_gold.py"
    assert module.starter_agreement() == json.loads((GOLD / "starter" / "agreement.json").read_text())
    assert module.agreement_text(module.starter_agreement()) in (GOLD / "starter" / "README.md").read_text()


def assert_whole_and_valid(record: dict, ends: dict) -> None:
    """A gold record's spans lie in its text on whole tokens, and each relation joins the labels
    its type joins."""
    from newsgold.annotate.tokens import token_arrays

    spans = check_spans(record["text"], [Span.from_dict(s) for s in record["spans"]])
    _, starts, stops = token_arrays(record["text"])
    assert all(s.start in set(starts) and s.end in set(stops) for s in spans)
    by_id = {s.id: s for s in spans}
    for relation in record["relations"]:
        assert (by_id[relation["head"]].label, by_id[relation["tail"]].label) == ends[relation["label"]]


def test_starter_gold_is_split_by_story_and_whole():
    schema = load_schema()
    ends = schema.relation_ends
    stories = {}
    documents = 0
    for split in ("train", "validation", "test"):
        for record in load_gold(f"starter/{split}"):
            documents += 1
            assert stories.setdefault(record["story_id"], split) == split, "a story in two splits"
            assert record["source"].startswith("re3d/") and record["meta"]["annotators"]
            assert_whole_and_valid(record, ends)
    assert documents >= 60
    twice = sum(
        1
        for split in ("train", "validation", "test")
        for r in load_gold(f"starter/{split}")
        if len(r["meta"]["annotators"]) > 1
    )
    assert twice >= 20
    held = {json.loads(line)["text"] for line in (GOLD / "heldout.jsonl").read_text().splitlines()}
    assert not held & {r["text"] for s in ("train", "validation", "test") for r in load_gold(f"starter/{s}")}


def test_a_gold_file_export_claims_no_pre_annotation(tmp_path):
    from click.testing import CliRunner

    from newsgold.annotate.cli import cli

    result = CliRunner().invoke(cli, ["export", "--from", str(GOLD / "seeds.jsonl"), "--out", str(tmp_path / "ds")])
    assert result.exit_code == 0, result.output
    assert "## Pre-annotation" not in (tmp_path / "ds" / "README.md").read_text()


def test_the_blind_development_set_matches_its_annotations_and_shares_no_text():
    module = _builder()
    records = load_gold("starter/blind-dev")
    assert module.build_blind_dev() == records, "starter/blind-dev.jsonl: rebuild with build_gold.py"
    ends = load_schema().relation_ends
    others = {json.loads(line)["text"] for line in (GOLD / "heldout.jsonl").read_text().splitlines()}
    others |= {r["text"] for s in ("train", "validation", "test") for r in load_gold(f"starter/{s}")}
    assert len(records) == 18 and not others & {r["text"] for r in records}
    for record in records:
        assert_whole_and_valid(record, ends)
