"""The argument linker (train/linker.py): it learns a link from gold, and is saved, loaded and
refused through the model folder's trusted-type loading; the merge uses it only when chosen."""

import json

import pytest

from newsgold.annotate.schema import load_schema
from newsgold.train.linker import ArgumentLinker, fit_linker, linked_records, views

SCHEMA = load_schema()


def record(k: int, text: str, actor: str, action: str, place: str) -> dict:
    spans = []
    for n, (word, label) in enumerate(((actor, "ACTOR"), (action, "ACTION"), (place, "LOCATION")), 1):
        start = text.index(word)
        spans.append({"id": f"s{n}", "start": start, "end": start + len(word), "label": label, "text": word})
    return {
        "id": f"d{k}",
        "text": text,
        "spans": spans,
        "annotated_labels": list(SCHEMA.label_names),
        "relations": [{"head": "s2", "tail": "s1", "label": "agent"}, {"head": "s2", "tail": "s3", "label": "place"}],
    }


GOLD = [
    record(k, f"{a} {v} in {p} on Monday.", a, v, p)
    for k, (a, v, p) in enumerate(
        [
            ("Rebels", "attacked", "Kunduz"),
            ("Soldiers", "advanced", "Mosul"),
            ("Militants", "fled", "Raqqa"),
            ("Troops", "withdrew", "Kabul"),
            ("Fighters", "seized", "Aleppo"),
            ("Police", "raided", "Herat"),
        ]
    )
]


def test_fit_learns_the_links_it_then_predicts():
    linker = fit_linker(GOLD, SCHEMA.relation_ends, list(SCHEMA.label_names), pipeline=False)
    held = [record(9, "Insurgents shelled Homs on Monday.", "Insurgents", "shelled", "Homs")]
    predicted = linked_records(held, linker.link, views([held[0]["text"]], pipeline=False))["d9"]
    assert sorted((r["head"], r["tail"], r["label"]) for r in predicted["relations"]) == [
        ("s2", "s1", "agent"),
        ("s2", "s3", "place"),
    ]


def test_a_linker_with_nothing_to_learn_is_refused():
    bare = [{**r, "relations": []} for r in GOLD]
    with pytest.raises(ValueError, match="nothing to learn"):
        fit_linker(bare, SCHEMA.relation_ends, list(SCHEMA.label_names), pipeline=False)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from newsgold.annotate.export import export_dataset
    from newsgold.train.model import fit_model

    tmp = tmp_path_factory.mktemp("linker")
    (tmp / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in GOLD * 2))
    export_dataset(tmp / "dataset", from_file=tmp / "gold.jsonl", ratios=(1.0, 0.0, 0.0))
    fit_model(tmp / "dataset", tmp / "model", features="plain")
    return tmp / "model"


def test_metadata_records_the_choice_and_the_linker_round_trips(model):
    from newsgold.train.model import LINKER_FILE, load_linker, load_model

    _, metadata = load_model(model)
    assert metadata["relations"] in ("linker", "rules") and metadata["linker"]["file"] == LINKER_FILE
    assert set(metadata["linker"]["scores"]) == {"linker", "rules"} and len(metadata["linker_sha256"]) == 64
    linker = load_linker(model, {**metadata, "relations": "linker"})
    assert isinstance(linker, ArgumentLinker) and linker.limits_["head"]["agent"] == 1
    assert load_linker(model, {**metadata, "relations": "rules"}) is None


def test_an_extra_type_in_the_linker_file_is_refused(model, tmp_path):
    import hashlib
    import shutil

    from newsgold.train.model import LINKER_FILE, ModelError, load_linker, load_model
    from tests.test_model_files import add_exec_node

    copy = tmp_path / "model"
    shutil.copytree(model, copy)
    path = copy / LINKER_FILE
    add_exec_node(path, "1")
    metadata = json.loads((copy / "metadata.json").read_text())
    metadata.update(relations="linker", linker_sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    (copy / "metadata.json").write_text(json.dumps(metadata))
    _, metadata = load_model(copy)
    with pytest.raises(ModelError, match="never contains \\(builtins.exec\\)"):
        load_linker(copy, metadata)


def test_the_merge_links_with_the_model_only_when_it_draws_the_relations():
    from newsgold.annotate.documents import Document
    from newsgold.annotate.preannotate import RuleAnnotator
    from newsgold.annotate.preannotate.merge import MergedAnnotator
    from newsgold.annotate.preannotator import AnnotatedDocument

    class Model:
        labels, annotated_in, model_version = ("ACTOR",), "label-studio", "m1"

        def __init__(self, relations):
            self.relations, self.calls = relations, 0

        def annotate(self, document):
            return AnnotatedDocument(document, (), (), self.model_version)

        def link(self, doc, spans):
            self.calls += 1
            return [(0, 0, "linked", 0.9)] if spans else []

    rules = RuleAnnotator(pipeline=False).warm_up()
    document = Document("d", "Taliban fighters attacked Kunduz on Monday.", "t", None, {})
    for relations, expected in (("linker", 1), ("rules", 0)):
        model = Model(relations)
        merged = next(MergedAnnotator(rules, model, policy="rules").annotate_many([document]))
        assert model.calls == expected
        assert any(r.label == "linked" for r in merged.relations) == bool(expected)


def test_gold_relations_are_carried_onto_exactly_predicted_spans_only():
    from newsgold.annotate.preannotate.view import Candidate
    from newsgold.train.linker import carried

    gold = [Candidate(0, 2, "ACTOR", 1.0), Candidate(2, 3, "ACTION", 1.0), Candidate(4, 5, "LOCATION", 1.0)]
    links = [(1, 0, "agent"), (1, 2, "place")]
    # the actor predicted partially, the action and place exactly, a spurious span between
    predicted = [
        Candidate(1, 2, "ACTOR", 0.7),
        Candidate(2, 3, "ACTION", 0.9),
        Candidate(3, 4, "ACTOR", 0.6),
        Candidate(4, 5, "LOCATION", 0.8),
    ]
    assert carried(gold, links, predicted) == [(1, 3, "place")]
    assert carried(gold, links, [c._replace(label="ACTOR") if c.label == "LOCATION" else c for c in predicted]) == []


def test_the_linker_also_learns_from_the_rules_spans_and_keeps_the_gold_limits():
    from newsgold.train.linker import rule_spans

    docs = views([r["text"] for r in GOLD], pipeline=False)
    assert all(spans for spans in rule_spans(docs, pipeline=False))  # the rules find spans in each text
    noisy = fit_linker(GOLD, SCHEMA.relation_ends, list(SCHEMA.label_names), pipeline=False, docs=docs)
    alone = fit_linker(GOLD, SCHEMA.relation_ends, list(SCHEMA.label_names), pipeline=False, docs=docs, noisy=False)
    assert noisy.candidates_ > alone.candidates_ and noisy.positives_ >= alone.positives_
    assert noisy.limits_ == alone.limits_  # the decoding limits are the gold's alone
