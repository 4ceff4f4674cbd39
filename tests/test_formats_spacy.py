"""`annotate export --to spacy` (annotate/export/to_spacy.py): DocBin files spaCy loads back to
the texts, the entities of the tags, every span on token boundaries, relations and events."""

import json
from pathlib import Path

import pytest
import spacy
from seqeval.metrics.sequence_labeling import get_entities
from spacy.tokens import DocBin

from newsgold.annotate.export import export_dataset
from newsgold.annotate.export.to_spacy import words_and_spaces
from newsgold.annotate.schema import load_schema

STARTER = Path(__file__).resolve().parent.parent / "seeds" / "gold" / "starter"
TEXT = "Rebels  attacked Homs.\n\nThe 300 soldiers fled\tto Hom-Bay."
CRAFTED = {
    "id": "x1",
    "story_id": "s",
    "text": TEXT,  # two spaces, a blank line, a tab
    "spans": [
        {"id": "a1", "start": 0, "end": 6, "label": "ACTOR"},
        {"id": "e1", "start": 8, "end": 16, "label": "ACTION"},
        {"id": "a2", "start": 24, "end": 40, "label": "ACTOR"},
        {"id": "c1", "start": 28, "end": 31, "label": "COUNT"},  # inside a2: not in ents
        {"id": "e2", "start": 41, "end": 45, "label": "ACTION"},
        {"id": "l1", "start": 49, "end": 52, "label": "LOCATION"},
    ],  # "Hom" of "Hom-Bay"?
    "relations": [
        {"head": "e1", "tail": "a1", "label": "agent"},
        {"head": "e2", "tail": "a2", "label": "agent"},
        {"head": "e2", "tail": "c1", "label": "quantity"},
        {"head": "c1", "tail": "a2", "label": "counts"},
    ],
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spacy")
    gold = folder / "gold.jsonl"
    crafted = {**CRAFTED, "spans": [{**s, "text": TEXT[s["start"] : s["end"]]} for s in CRAFTED["spans"]]}
    gold.write_bytes(
        b"".join((STARTER / f"{s}.jsonl").read_bytes() for s in ("train", "validation"))
        + (json.dumps(crafted) + "\n").encode("utf-8")
    )
    report = export_dataset(folder / "out", from_file=gold, to="jsonl,spacy")
    return report, folder / "out"


def _expected(row, names):
    """From the row itself: entities of its tags (seqeval), its spans on token boundaries."""
    offsets = row["token_offsets"]
    ents = [(offsets[a][0], offsets[b][1], label) for label, a, b in get_entities([names[t] for t in row["ner_tags"]])]
    starts, ends = {s for s, _ in offsets}, {e for _, e in offsets}
    spans = [
        (s["start"], s["end"], s["label"], s["id"]) for s in row["spans"] if s["start"] in starts and s["end"] in ends
    ]
    return ents, spans


def test_docbin_loads_back_texts_ents_spans_relations_events(exported):
    report, out = exported
    names = load_schema(None).tag_names
    vocab = spacy.blank("en").vocab
    total = {"docs": 0, "ents": 0, "spans": 0, "events": 0}
    for split in ("train", "validation", "test"):
        rows = [json.loads(line) for line in (out / "jsonl" / f"{split}.jsonl").read_text().splitlines()]
        docs = list(DocBin().from_disk(out / "spacy" / f"{split}.spacy").get_docs(vocab))
        assert [d.text for d in docs] == [r["text"] for r in rows]
        for row, doc in zip(rows, docs):
            ents, spans = _expected(row, names)
            assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == ents
            assert [(s.start_char, s.end_char, s.label_, s.id_) for s in doc.spans["sc"]] == spans
            assert doc.user_data["id"] == row["id"]
            assert json.loads(json.dumps(doc.user_data["relations"])) == row["relations"]
            assert json.loads(json.dumps(doc.user_data["events"])) == row["events"]
            total["docs"] += 1
            total["ents"] += len(ents)
            total["spans"] += len(spans)
            total["events"] += len(row["events"])
    assert total["docs"] > 50 and total["ents"] > 1000 and total["spans"] > total["ents"] and total["events"] > 100


def test_the_crafted_document_and_the_notes(exported):
    report, out = exported
    [doc] = [
        d
        for split in ("train", "validation", "test")
        for d in DocBin().from_disk(out / "spacy" / f"{split}.spacy").get_docs(spacy.blank("en").vocab)
        if d.user_data["id"] == "x1"
    ]
    assert doc.text == TEXT
    assert "c1" in [s.id_ for s in doc.spans["sc"]] and "COUNT" not in [e.label_ for e in doc.ents]
    assert "l1" not in [s.id_ for s in doc.spans["sc"]]  # "Hom" of the token "Hom-Bay"
    assert any(note.startswith("spacy: 1 span(s) left out of ner_tags") for note in report.notes)
    assert any(note.startswith("spacy: 1 span(s) off the token boundaries") for note in report.notes)


@pytest.mark.parametrize(
    "text,offsets",
    [
        ("a b", [(0, 1), (2, 3)]),
        ("a  b", [(0, 1), (3, 4)]),
        (" a\n\nb ", [(1, 2), (4, 5)]),
        ("ab", [(0, 1), (1, 2)]),
        ("x \t y", [(0, 1), (4, 5)]),
        ("", []),
    ],
)
def test_words_and_spaces_rebuild_the_text(text, offsets):
    words, spaces = words_and_spaces(text, offsets)
    assert "".join(w + (" " if s else "") for w, s in zip(words, spaces)) == text
    assert [w for w in words if not w.isspace()] == [text[a:b] for a, b in offsets]
