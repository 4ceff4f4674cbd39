"""Entity scoring of predicted spans against gold spans, with nervaluate.

Each document is scored only on the labels it is gold for (`annotated_labels`): a corpus that
never marked actions is not evidence that predicted actions are wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def score_documents(gold: list[dict], predicted: list[dict], labels: list[str]) -> dict:
    """Strict and partial P/R/F1 per label and micro-averaged over `labels`.

    `gold` and `predicted` are documents in the JSONL shape (`id`, `spans`, `annotated_labels`);
    they are matched by id, and every gold document needs a prediction.
    """
    from nervaluate import Evaluator

    by_id = {doc["id"]: doc for doc in predicted}
    true_lists, pred_lists = [], []
    for doc in gold:
        if doc["id"] not in by_id:
            raise NewsgoldError(
                f"gold document {doc['id']} ({doc.get('source')}) has no prediction; "
                "pre-annotate the same documents you score"
            )
        scored = set(doc.get("annotated_labels") or labels) & set(labels)
        true_lists.append(nervaluate_spans(doc["spans"], scored))
        pred_lists.append(nervaluate_spans(by_id[doc["id"]].get("spans", []), scored))
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

    return {
        "micro": {scheme: pack(results["overall"][scheme]) for scheme in ("strict", "partial")},
        "labels": {
            label: {scheme: pack(results["entities"][label][scheme]) for scheme in ("strict", "partial")}
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
