import json
from pathlib import Path

from annotate.documents import read_documents
from annotate.schema import load_schema
from annotate.spans import Span, check_spans

GOLD = Path(__file__).resolve().parent.parent / "seeds" / "gold"


def load_gold():
    return [json.loads(line) for line in (GOLD / "seeds.jsonl").read_text().splitlines()]


def test_gold_matches_the_hand_annotation():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_gold", GOLD / "build_gold.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == load_gold()


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
