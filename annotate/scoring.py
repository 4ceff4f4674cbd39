"""Entity scoring of predicted spans against gold spans, with nervaluate.

Each document is scored only on the labels it is gold for (`annotated_labels`): a corpus that
never marked actions is not evidence that predicted actions are wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsgold.annotate.documents import document_id, normalize_id, normalize_text
from newsgold.annotate.errors import NewsgoldError


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    correct: int
    predicted: int
    gold: int


def nervaluate_spans(spans: list[dict], labels: set[str]) -> list[dict]:
    """Spans as nervaluate reads them, keeping only `labels`."""
    # nervaluate treats `end` as inclusive; our offsets are end-exclusive.
    return [
        {"label": s["label"], "start": s["start"], "end": s["end"] - 1}
        for s in spans
        if s["label"] in labels
    ]


def document_key(record: dict, item: str) -> str:
    """The id of a JSONL document, or the content hash of its text (what `annotate documents`
    gives a document without one); a NewsgoldError when it has neither."""
    doc_id = normalize_id(record.get("id"), item)  # the identity rule every reader follows
    if doc_id is not None:
        return doc_id
    if isinstance(record.get("text"), str) and normalize_text(record["text"]):
        return document_id(normalize_text(record["text"]))
    raise NewsgoldError(f"{item}: the document has neither an 'id' nor a 'text' to match it by; "
                        "score the file `annotate preannotate` or `train predict` wrote")


def _checked_spans(record: dict, source: str) -> list[dict]:
    spans = record.get("spans") or []
    for span in spans if isinstance(spans, list) else [spans]:
        if not (isinstance(span, dict) and isinstance(span.get("label"), str)
                and all(isinstance(span.get(k), int) and not isinstance(span.get(k), bool) for k in ("start", "end"))):
            raise NewsgoldError(f"{source} document {record.get('id')}: span {span!r} has no integer start and "
                                "end and a label; score the file `annotate preannotate` or `train predict` wrote")
    return spans


def score_documents(gold: list[dict], predicted: list[dict], labels: list[str],
                    source: str = "predictions", schemes: tuple[str, ...] = ("strict", "partial")) -> dict:
    """P/R/F1 per label and micro-averaged over `labels` under nervaluate's `schemes` (strict,
    partial; also exact, ent_type: the label right and the boundaries overlapping).

    `gold` and `predicted` are documents in the JSONL shape (`id`, `spans`, `annotated_labels`);
    they are matched by id (a document without one by its content hash, `document_key`), and
    every gold document needs a prediction. `source` names the predictions in errors.
    """
    from nervaluate import Evaluator

    by_id = {document_key(doc, f"{source} document {n}"): doc for n, doc in enumerate(predicted, 1)}
    true_lists, pred_lists = [], []
    for n, doc in enumerate(gold, 1):
        doc = {**doc, "id": document_key(doc, f"gold document {n}")}
        if doc["id"] not in by_id:
            raise NewsgoldError(
                f"gold document {doc['id']} ({doc.get('source')}) has no prediction; "
                "pre-annotate the same documents you score"
            )
        scored = set(doc.get("annotated_labels") or labels) & set(labels)
        true_lists.append(nervaluate_spans(doc.get("spans") or [], scored))
        pred_lists.append(nervaluate_spans(_checked_spans(by_id[doc["id"]], source), scored))
    results = Evaluator(true_lists, pred_lists, tags=list(labels)).evaluate()

    def pack(result) -> Scores:
        return Scores(
            precision=round(result.precision, 4),
            recall=round(result.recall, 4),
            f1=round(result.f1, 4),
            correct=result.correct,
            predicted=result.actual,
            gold=result.possible,
        )

    nothing = Scores(0.0, 0.0, 0.0, 0, 0, 0)
    return {
        "micro": {scheme: pack(results["overall"][scheme]) for scheme in schemes},
        "labels": {  # nervaluate leaves out a label no document, gold or predicted, has
            label: {scheme: pack(results["entities"][label][scheme]) if label in results["entities"] else nothing
                    for scheme in schemes}
            for label in labels
        },
        "documents": len(gold),
    }


def scores_table(report: dict) -> str:
    """A Markdown table of a `score_documents` report."""
    lines = [
        "| label | strict P | strict R | strict F1 | partial P | partial R | partial F1 | gold | predicted |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows = list(report["labels"].items()) + [("**micro**", report["micro"])]
    for label, schemes in rows:
        s, p = schemes["strict"], schemes["partial"]
        lines.append(
            f"| {label} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {p.precision:.3f} "
            f"| {p.recall:.3f} | {p.f1:.3f} | {s.gold} | {s.predicted} |"
        )
    return "\n".join(lines)
