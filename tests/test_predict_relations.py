"""`train predict` draws relations with the relation builder the model's folder chose: the
argument linker, or the rules' (over the tagger's predicted spans, as the merged pre-annotator
draws them) — never none because the rules were chosen."""

import json
import shutil

import pytest
from click.testing import CliRunner

from newsgold.annotate.schema import load_schema

SCHEMA = load_schema()
WORDS = [
    ("Rebels", "attacked", "Kunduz"),
    ("Soldiers", "advanced", "Mosul"),
    ("Militants", "fled", "Raqqa"),
    ("Troops", "withdrew", "Kabul"),
    ("Fighters", "seized", "Aleppo"),
    ("Police", "raided", "Herat"),
]
HELD = "Insurgents attacked Homs on Monday. Troops advanced in Mosul."


def record(k: int, actor: str, action: str, place: str) -> dict:
    text = f"{actor} {action} in {place} on Monday."
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


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A model fitted on the gold, and a copy whose metadata says the rules draw the relations
    (what `train fit` writes when the rules score better on the development split)."""
    from newsgold.annotate.export import export_dataset
    from newsgold.train.model import fit_model

    tmp = tmp_path_factory.mktemp("predict-relations")
    gold = [record(k, *words) for k, words in enumerate(WORDS)]
    (tmp / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in gold * 2))
    export_dataset(tmp / "dataset", from_file=tmp / "gold.jsonl", ratios=(1.0, 0.0, 0.0))
    fit_model(tmp / "dataset", tmp / "model", features="plain")
    for relations in ("rules", "linker"):
        shutil.copytree(tmp / "model", tmp / relations)
        metadata = json.loads((tmp / relations / "metadata.json").read_text())
        metadata["relations"] = relations
        (tmp / relations / "metadata.json").write_text(json.dumps(metadata))
    (tmp / "held.txt").write_text(HELD)
    return tmp


def predicted(folders, relations: str, tmp_path) -> dict:
    from newsgold.train.cli import cli

    out = tmp_path / f"{relations}.jsonl"
    result = CliRunner().invoke(cli, ["predict", str(folders / relations), str(folders / "held.txt"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def triples(record: dict) -> set[tuple[str, str, str]]:
    text = {s["id"]: s["text"] for s in record["spans"]}
    return {(text[r["head"]], text[r["tail"]], r["label"]) for r in record["relations"]}


@pytest.mark.parametrize("relations", ["rules", "linker"])
def test_predict_draws_the_chosen_builders_relations_over_the_predicted_spans(folders, relations, tmp_path):
    from newsgold.annotate.preannotate.relations import find_relations
    from newsgold.train.linker import record_spans, views
    from newsgold.train.model import load_linker, load_model

    found = predicted(folders, relations, tmp_path)
    assert {s["label"] for s in found["spans"]} >= {"ACTOR", "ACTION", "LOCATION"}
    _, metadata = load_model(folders / relations)
    linker = load_linker(folders / relations, metadata)
    assert (linker is None) == (relations == "rules")
    doc = views([HELD], pipeline=False)[0]  # a plain model: the builder reads no language layer
    spans, ids = record_spans(found, doc)
    link = find_relations if linker is None else linker.link
    expected = {(ids[h], ids[t], label) for h, t, label, _ in link(doc, spans)}
    assert expected and {(r["head"], r["tail"], r["label"]) for r in found["relations"]} == expected
    assert ("attacked", "Insurgents", "agent") in triples(found)


def test_the_rules_link_predicted_spans_as_the_merged_preannotator_links_them(folders, tmp_path):
    """The merge keeping the model's spans alone (policy "model") and the rules linking them
    (the rules were chosen) draws the relations `train predict` writes."""
    from newsgold.annotate.documents import Document
    from newsgold.annotate.preannotate import RuleAnnotator
    from newsgold.annotate.preannotate.merge import MergedAnnotator
    from newsgold.train.predict import load_preannotator

    model = load_preannotator(folders / "rules")
    assert model.relations == "rules"
    merged = next(
        MergedAnnotator(RuleAnnotator(pipeline=False).warm_up(), model, policy="model").annotate_many(
            [Document("held", HELD, "t", None, {})]
        )
    )
    found = predicted(folders, "rules", tmp_path)
    assert [(s["start"], s["end"], s["label"]) for s in found["spans"]] == [
        (s.start, s.end, s.label) for s in merged.spans
    ]
    assert triples(found) == triples(merged.to_record()) and triples(found)
