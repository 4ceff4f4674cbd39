"""Turn the hand annotations `*.ann` into `*.jsonl` (character offsets).

The annotator writes spans as text in document order; this script only finds each text at its
next token-aligned occurrence and checks the result. Nothing here labels anything.
Run: python seeds/gold/build_gold.py  (from the repository root)
"""

import json
import sys
from pathlib import Path

from newsgold.annotate.documents import iter_documents, make_document
from newsgold.annotate.jsonl import write_jsonl
from newsgold.annotate.schema import load_schema
from newsgold.annotate.spans import Relation, Span, check_spans
from newsgold.annotate.tokens import tokenize

HERE = Path(__file__).resolve().parent


def _document(reference: str):
    """`file.txt` (in seeds/) or `re3d:SOURCE/ID` (a document of seeds/corpora/re3d)."""
    if not reference.startswith("re3d:"):
        (doc,) = iter_documents([HERE.parent / reference])
        return doc
    folder, doc_id = reference[5:].rsplit("/", 1)
    for line in (HERE.parent / "corpora" / "re3d" / folder / "documents.json").open(encoding="utf-8"):
        record = json.loads(line)
        if record["_id"] == doc_id:
            return make_document(record["text"], source=f"re3d/{folder}/{doc_id}", item=reference)
    sys.exit(f"{reference}: no such re3d document")


def build(ann_path: Path = HERE / "seeds.ann") -> list[dict]:
    schema = load_schema()
    relation_ends = {r.name: (r.head, r.tail) for r in schema.relations}
    records, doc, cursor = [], None, 0
    for line_no, line in enumerate(ann_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{ann_path.name} line {line_no}"
        if line.startswith("DOC "):
            doc_obj = _document(line[4:].strip())
            doc = {**doc_obj.to_dict(), "spans": {}, "relations": []}
            starts = {t.start for t in tokenize(doc["text"])}
            ends = {t.end for t in tokenize(doc["text"])}
            records.append(doc)
            cursor = 0
            continue
        if line.startswith("REL "):
            _, label, head, tail = line.split()
            want = relation_ends[label]
            got = (doc["spans"][head].label, doc["spans"][tail].label)
            if got != want:
                sys.exit(f"{where}: {label} needs {want}, got {got}")
            doc["relations"].append(Relation(head, tail, label).to_dict())
            continue
        span_id, label, text = line.split(" ", 2)
        if label not in schema.label_names or span_id in doc["spans"]:
            sys.exit(f"{where}: unknown label or repeated id")
        start = doc["text"].find(text, cursor)
        while start != -1 and (start not in starts or start + len(text) not in ends):
            start = doc["text"].find(text, start + 1)
        if start == -1:
            sys.exit(f"{where}: {text!r} not found after offset {cursor}")
        doc["spans"][span_id] = Span(start, start + len(text), label, text, id=span_id)
        cursor = start + len(text)  # spans do not overlap: the next one starts after this one
    for doc in records:
        spans = check_spans(doc["text"], doc["spans"].values(), doc["source"])
        doc["spans"] = [span.to_dict() for span in spans]
        doc["annotated_labels"] = list(schema.label_names)
        doc["meta"] = {"annotator": "newsgold developers", "guidelines": schema.version}
    return records


GOLD_FILES = ("seeds", "heldout")

if __name__ == "__main__":
    for name in GOLD_FILES:
        count = write_jsonl(HERE / f"{name}.jsonl", build(HERE / f"{name}.ann"))
        print(f"{name}.jsonl: {count} documents")
