"""Inter-annotator agreement: pairwise span F1 per label (strict and partial, nervaluate) on
documents with two or more human annotations, and the disagreements to adjudicate."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from newsgold.annotate.lsformat import (
    DOC_ID_FIELD,
    NEWSGOLD_CONFIG,
    LabelingConfig,
    annotator_name,
    from_ls_result,
    usable_annotations,
)
from newsgold.annotate.scoring import nervaluate_spans


@dataclass(frozen=True)
class Disagreement:
    document: str
    task_id: int | None
    label: str
    start: int
    end: int
    text: str
    drawn_by: tuple[str, ...]
    not_by: tuple[str, ...]


def several_annotators(task: dict) -> bool:
    """Whether two or more people annotated the task (cancelled annotations aside)."""
    return len({annotator_name(a, {}) for a in usable_annotations(task.get("annotations"))}) > 1


def agreement(tasks, labels: list[str], users: dict[int, str] | None = None,
              config: LabelingConfig = NEWSGOLD_CONFIG) -> dict:
    """Pairwise agreement over `tasks` (Label Studio task dicts with annotations, their regions
    read as `config` says)."""
    from nervaluate import Evaluator

    users = users or {}
    pairs: dict[tuple[str, str], tuple[list, list]] = defaultdict(lambda: ([], []))
    disagreements: list[Disagreement] = []
    documents = 0
    for task in tasks:
        text = config.task_text(task.get("data") or {})
        if not isinstance(text, str) or not several_annotators(task):
            continue
        usable = usable_annotations(task.get("annotations"))
        documents += 1
        doc_id = str((task.get("data") or {}).get(DOC_ID_FIELD) or task.get("id"))
        by_annotator = {}
        for annotation in sorted(usable, key=lambda a: a.get("updated_at") or ""):
            spans = from_ls_result(text, annotation.get("result") or [], config)[0]
            by_annotator[annotator_name(annotation, users)] = spans
        for a, b in combinations(sorted(by_annotator), 2):
            pairs[(a, b)][0].append(nervaluate_spans([s.to_dict() for s in by_annotator[a]], set(labels)))
            pairs[(a, b)][1].append(nervaluate_spans([s.to_dict() for s in by_annotator[b]], set(labels)))
        drawn = defaultdict(set)
        for name, spans in by_annotator.items():
            for s in spans:
                drawn[(s.start, s.end, s.label)].add(name)
        everyone = set(by_annotator)
        for (start, end, label), names in sorted(drawn.items()):
            if names != everyone:
                disagreements.append(
                    Disagreement(doc_id, task.get("id"), label, start, end, text[start:end],
                                 tuple(sorted(names)), tuple(sorted(everyone - names)))
                )
    result = {"documents": documents, "pairs": {}, "disagreements": disagreements}
    for (a, b), (true, pred) in sorted(pairs.items()):
        scores = Evaluator(true, pred, tags=labels).evaluate()
        per_label = {  # a label neither annotator drew has no F1: None
            label: {scheme: round(scores["entities"][label][scheme].f1, 4) if label in scores["entities"] else None
                    for scheme in ("strict", "partial")}
            for label in labels
        }
        per_label["micro"] = {scheme: round(scores["overall"][scheme].f1, 4) for scheme in ("strict", "partial")}
        result["pairs"][f"{a} vs {b}"] = per_label
    return result


def agreement_table(pairs: dict, labels: list[str]) -> str:
    """A Markdown table of pairwise strict / partial F1 (the `pairs` of an `agreement` report)."""
    if not pairs:
        return "No document has two or more annotators."
    head = "| pair | " + " | ".join(f"{l} strict/partial F1" for l in labels + ["micro"]) + " |"
    lines = [head, "|---|" + "---|" * (len(labels) + 1)]
    for pair, scores in pairs.items():
        cells = ["–" if scores[l]["strict"] is None else f"{scores[l]['strict']:.2f} / {scores[l]['partial']:.2f}"
                 for l in labels + ["micro"]]
        lines.append(f"| {pair} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
