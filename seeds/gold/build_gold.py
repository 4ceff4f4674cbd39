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


def _next_word(text: str, span: str, cursor: int) -> int:
    """The first occurrence of `span` at or after `cursor` that is whole words (no letter or
    digit just before or after it): the rule the annotators' checker applies."""
    start = text.find(span, cursor)
    while start != -1 and (
        (start and text[start - 1].isalnum()) or (start + len(span) < len(text) and text[start + len(span)].isalnum())
    ):
        start = text.find(span, start + 1)
    return start


def build(
    ann_path: Path = HERE / "seeds.ann",
    lines: list[tuple[int, str]] | None = None,
    annotator: str = "newsgold developers",
) -> list[dict]:
    """The records of an annotation file (or of its numbered `lines`, e.g. one document's block)."""
    schema = load_schema()
    relation_ends = {r.name: (r.head, r.tail) for r in schema.relations}
    records, doc, cursor = [], None, 0
    if lines is None:
        lines = list(enumerate(ann_path.read_text(encoding="utf-8").splitlines(), 1))
    for line_no, line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{ann_path.name} line {line_no}"
        if line.startswith("DOC "):
            doc_obj = _document(line[4:].strip())
            doc = {**doc_obj.to_dict(), "spans": {}, "relations": []}
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
        start = _next_word(doc["text"], text, cursor)
        if start == -1:
            sys.exit(f"{where}: {text!r} not found after offset {cursor}")
        doc["spans"][span_id] = Span(start, start + len(text), label, text, id=span_id)
        cursor = start + len(text)  # spans do not overlap: the next one starts after this one
    for doc in records:
        spans = check_spans(doc["text"], doc["spans"].values(), doc["source"])
        doc["spans"] = [span.to_dict() for span in spans]
        doc["annotated_labels"] = list(schema.label_names)
        doc["meta"] = {"annotator": annotator, "guidelines": schema.version}
    return records


# ------------------------------------------------------------------ the starter gold (issue 21)

STARTER = HERE / "starter"
SPLITS = ("train", "validation", "test")


def blocks(ann_path: Path) -> dict[str, list[tuple[int, str]]]:
    """Document reference -> its numbered lines (the DOC line first) in an annotation file."""
    found: dict[str, list[tuple[int, str]]] = {}
    current = None
    for line_no, line in enumerate(ann_path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("DOC "):
            current = line[4:].strip()
            if current in found:
                sys.exit(f"{ann_path.name} line {line_no}: {current} annotated twice in one file")
            found[current] = []
        if current is not None:
            found[current].append((line_no, line))
    return found


def _settled(name: str, annotator: str) -> dict[str, dict]:
    path = STARTER / name
    return {ref: build(path, lines, annotator)[0] for ref, lines in blocks(path).items()} if path.exists() else {}


def starter_annotations() -> tuple[dict, dict, dict]:
    """Per document: every annotator's independent record (name -> record), the settled record
    (adjudicated where annotated twice, revised where annotated once), and the plan."""
    plan = json.loads((STARTER / "plan.json").read_text())
    by_doc: dict[str, dict[str, dict]] = {}
    for ann in sorted((STARTER / "annotations").glob("*.ann")):
        for ref, lines in blocks(ann).items():
            by_doc.setdefault(ref, {})[ann.stem] = build(ann, lines, f"annotator {ann.stem}")[0]
    settled = {**_settled("revised.ann", "revised"), **_settled("adjudicated.ann", "adjudicated")}
    return by_doc, settled, plan


def whole_tokens(record: dict) -> dict:
    """The record without the spans that do not cover whole tokens (`annotate.tokens`), and
    their relations: the guidelines' format limit F2 (nothing inside a hyphenated word such as
    "ISIL-held" is labelled) applied to annotations made before it was decided. What is left
    out is listed in `meta.left_out` and printed by the build, never dropped silently."""
    from newsgold.annotate.tokens import token_arrays

    _, starts, ends = token_arrays(record["text"])
    starts, ends = set(starts), set(ends)
    out = [s for s in record["spans"] if s["start"] not in starts or s["end"] not in ends]
    if not out:
        return record
    gone = {s["id"] for s in out}
    for s in out:
        print(
            f"{record['meta'].get('annotator')}: left out {s['label']} {s['text']!r} at {s['start']} "
            "(inside a token: guidelines F2)"
        )
    return {
        **record,
        "spans": [s for s in record["spans"] if s["id"] not in gone],
        "relations": [r for r in record["relations"] if r["head"] not in gone and r["tail"] not in gone],
        "meta": {**record["meta"], "left_out": [f"{s['label']} {s['text']!r} at {s['start']}" for s in out]},
    }


def build_starter() -> dict[str, list[dict]]:
    """The starter gold by split: each planned document's adjudicated record where it was
    annotated twice, its revised record where it was annotated once (else its one annotation),
    with the plan's story id."""
    by_doc, adjudicated, plan = starter_annotations()
    splits: dict[str, list[dict]] = {name: [] for name in SPLITS}
    for ref in plan["documents"]:
        annotators = sorted(by_doc.get(ref, {}))
        if not annotators:
            sys.exit(f"{ref}: planned but annotated by nobody")
        if len(annotators) > 1 and ref not in adjudicated:
            sys.exit(f"{ref}: annotated by {', '.join(annotators)} but not adjudicated")
        record = whole_tokens(adjudicated.get(ref) or by_doc[ref][annotators[0]])
        record = {
            **record,
            "story_id": plan["story"][ref],
            "meta": {**record["meta"], "annotators": annotators, "document": ref},
        }
        splits[plan["split"][ref]].append(record)
    return splits


BLIND_DEV = STARTER / "blind-dev"


def build_blind_dev() -> list[dict]:
    """The second development set (`starter/blind-dev/*.ann`): the 18 re3d documents the starter
    gold left out, each annotated once, blind, under the same guidelines; each its own story."""
    records = []
    for ann in sorted(BLIND_DEV.glob("*.ann")):
        for ref, lines in blocks(ann).items():
            record = whole_tokens(build(ann, lines, f"annotator {ann.stem}")[0])
            meta = {**record["meta"], "annotators": [ann.stem], "document": ref}
            records.append({**record, "story_id": f"story-{ref}", "meta": meta})
    return records


GOLD_FILES = ("seeds", "heldout")


def starter_agreement() -> dict:
    """Human agreement on the documents annotated twice: the first annotation against the second
    (span F1 as `annotate agreement` computes it, strict and partial, per label and micro;
    relation F1, strict and overlap endpoints, per type and micro), and both annotations against
    the adjudicated one (what the annotators would score against the gold)."""
    from newsgold.annotate.relscoring import relation_scores
    from newsgold.annotate.scoring import nervaluate_spans
    from newsgold.annotate.studio.agreement import pair_scores

    by_doc, adjudicated, plan = starter_annotations()
    schema = load_schema()
    labels, known = list(schema.label_names), set(schema.label_names)
    twice = [ref for ref in plan["documents"] if len(by_doc.get(ref, {})) > 1]
    first = [by_doc[ref][sorted(by_doc[ref])[0]] for ref in twice]
    second = [by_doc[ref][sorted(by_doc[ref])[1]] for ref in twice]

    def compared(reference: list[dict], other: list[dict]) -> dict:
        keyed = [{**r, "id": str(n)} for n, r in enumerate(reference)]
        relations = relation_scores(keyed, {str(n): o for n, o in enumerate(other)}, schema.relation_ends, labels)
        return {
            "spans": pair_scores(
                [nervaluate_spans(r["spans"], known) for r in reference],
                [nervaluate_spans(o["spans"], known) for o in other],
                labels,
            ),
            "relations": {
                name: {s: scores[s].f1 for s in scores}
                for name, scores in [*relations["types"].items(), ("micro", relations["micro"])]
            },
        }

    report = {"documents": len(twice), "first_vs_second": compared(first, second)}
    if twice and all(ref in adjudicated for ref in twice):
        final = [adjudicated[ref] for ref in twice]
        report["annotators_vs_adjudicated"] = compared(final + final, first + second)
    return report


def agreement_text(report: dict) -> str:
    """The README's agreement section: F1 tables of `starter_agreement`."""
    labels = list(load_schema().label_names)
    lines = [
        f"On the {report['documents']} documents annotated twice (F1; spans as `annotate agreement` "
        "computes them: strict = same start, end and label, partial = overlapping with the same label "
        "counting 1/2; relations: the type and both endpoints, strict or overlapping):",
        "",
    ]
    for key, title in (
        ("first_vs_second", "first annotator vs second"),
        ("annotators_vs_adjudicated", "each annotator vs the adjudicated gold"),
    ):
        if key not in report:
            continue
        spans, relations = report[key]["spans"], report[key]["relations"]
        lines += [
            f"**{title}**",
            "",
            "| spans | " + " | ".join(labels) + " | micro |",
            "|---|" + "---|" * (len(labels) + 1),
        ]
        for scheme in ("strict", "partial"):
            cells = ["–" if spans[l][scheme] is None else f"{spans[l][scheme]:.3f}" for l in labels + ["micro"]]
            lines.append(f"| {scheme} | " + " | ".join(cells) + " |")
        names = [n for n in relations if n != "micro"] + ["micro"]
        lines += ["", "| relations | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for scheme in ("strict", "overlap"):
            cells = ["–" if relations[n][scheme] is None else f"{relations[n][scheme]:.3f}" for n in names]
            lines.append(f"| {scheme} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    for name in GOLD_FILES:
        count = write_jsonl(HERE / f"{name}.jsonl", build(HERE / f"{name}.ann"))
        print(f"{name}.jsonl: {count} documents")
    if (STARTER / "plan.json").exists():
        for name, records in build_starter().items():
            count = write_jsonl(STARTER / f"{name}.jsonl", records)
            print(f"starter/{name}.jsonl: {count} documents")
        count = write_jsonl(STARTER / "blind-dev.jsonl", build_blind_dev())
        print(f"starter/blind-dev.jsonl: {count} documents")
        agreement = starter_agreement()
        (STARTER / "agreement.json").write_text(json.dumps(agreement, indent=2) + "\n")
        readme = (STARTER / "README.md").read_text()
        head, rest = readme.split("<!-- agreement:start -->\n")
        _, tail = rest.split("<!-- agreement:end -->")
        (STARTER / "README.md").write_text(
            f"{head}<!-- agreement:start -->\n{agreement_text(agreement)}<!-- agreement:end -->{tail}"
        )
