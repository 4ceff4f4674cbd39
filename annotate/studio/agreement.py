"""Inter-annotator agreement: pairwise span F1 per label (strict and partial, nervaluate) on
documents with two or more annotators, each annotator against the ground truth, and the
disagreements to adjudicate.

People are compared, not annotations: each annotator counts once per task, with their latest
annotation that is not the ground truth. A ground-truth annotation (Label Studio keeps at most
one per task: the one a reviewer starred, whoever wrote it, or an annotation imported with the
task) is the reference the task was settled to, not one more annotator: it is never in the
pairs; every annotator of the task is scored against it instead (`ground_truth`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations

from newsgold.annotate.documents import id_key
from newsgold.annotate.errors import NewsgoldError
from newsgold.annotate.scoring import nervaluate_spans
from newsgold.annotate.studio.chance import ChanceAgreement, chance_table
from newsgold.annotate.studio.lsformat import NEWSGOLD_CONFIG, LabelingConfig, from_ls_result
from newsgold.annotate.studio.resolve import latest_by_person, recency
from newsgold.annotate.studio.tasks import DOC_ID_FIELD, usable_annotations

GROUND_TRUTH = "ground truth"
SCHEMES = ("strict", "partial")
DEFINITION = (
    "strict: the same start, end and label; partial: the same label and overlapping boundaries, "
    "an exact match counting 1 and an overlap 1/2 (SemEval-2013's partial match, computed per "
    "label with nervaluate, so a span drawn with another label never matches); micro pools the "
    "counts of all labels. Each annotator counts once per task (their latest annotation); the "
    "ground-truth annotation is the reference, not an annotator."
)


class ForeignProjectError(NewsgoldError):
    """A project whose labeling config newsgold cannot read as its schema's spans and relations."""


def project_config(project, schema, command: str) -> LabelingConfig:
    """How `command` (agreement, adjudicate, loop) reads the regions of `project` (a client
    `Project`): its labeling config brought onto `schema`; a project whose config is not one
    `annotate push` made (a label outside the schema, no Labels over a Text...) is refused, since
    comparing or voting on regions read another way would be meaningless."""
    from newsgold.annotate.export.controls import config_from_xml
    from newsgold.annotate.export.report import ExportError

    source = f"project {project.title!r}"
    try:
        return config_from_xml(project.label_config, source, schema, {})[0]
    except ExportError as exc:
        cause = str(exc).removeprefix(f"{source}: ").split("; ")[0]
        raise ForeignProjectError(
            f"{source}: {cause}, so `annotate {command}` cannot read its annotations as the schema's; it works on "
            "projects `annotate push` made (read this one with `annotate export --project NAME --label-map ...`)"
        ) from None


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


def compared_annotations(task: dict, users: dict[int, str]) -> tuple[dict[str, dict], dict | None]:
    """What agreement compares on a task: each person's latest annotation that is not the
    ground truth (by name), and the ground-truth annotation (None without one)."""
    usable = usable_annotations(task.get("annotations"))
    own = latest_by_person([a for a in usable if not a.get("ground_truth")], users)
    truth = [a for a in usable if a.get("ground_truth")]
    return own, (max(truth, key=recency) if truth else None)


def several_annotators(task: dict) -> bool:
    """Whether a task has something to compare: two or more annotators, or one annotator and a
    ground truth (cancelled annotations aside)."""
    own, truth = compared_annotations(task, {})
    return len(own) + (truth is not None) > 1


def agreement(
    tasks, labels: list[str], users: dict[int, str] | None = None, config: LabelingConfig = NEWSGOLD_CONFIG
) -> dict:
    """Agreement over `tasks` (Label Studio task dicts with annotations, their regions read as
    `config` says): `documents` compared,
    `pairs` ("a vs b" -> label -> {strict, partial} F1), `ground_truth` (annotator -> the same,
    against the ground truth), `chance` (Krippendorff's α, Cohen's κ and relation F1 between the
    annotators, the ground truth aside: `annotate.studio.chance`) and the `disagreements`."""
    users = users or {}
    pairs: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    against_truth: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    disagreements: list[Disagreement] = []
    documents = 0
    known = set(labels)
    chance = ChanceAgreement(labels)
    for task in tasks:
        text = config.task_text(task.get("data") or {})
        if not isinstance(text, str):
            continue
        own, truth = compared_annotations(task, users)
        if len(own) + (truth is not None) < 2:
            continue
        documents += 1
        drawn = {name: from_ls_result(text, a.get("result") or [], config)[:2] for name, a in own.items()}
        spans = {name: found for name, (found, _) in drawn.items()}
        chance.add(text, drawn)
        scored = {name: nervaluate_spans([s.to_dict() for s in found], known) for name, found in spans.items()}
        for a, b in combinations(scored, 2):  # names are sorted
            pairs[f"{a} vs {b}"][0].append(scored[a])
            pairs[f"{a} vs {b}"][1].append(scored[b])
        if truth is not None:
            spans[GROUND_TRUTH] = from_ls_result(text, truth.get("result") or [], config)[0]
            reference = nervaluate_spans([s.to_dict() for s in spans[GROUND_TRUTH]], known)
            for name in scored:
                against_truth[name][0].append(reference)
                against_truth[name][1].append(scored[name])
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        doc_id = id_key(data.get(DOC_ID_FIELD)) or str(task.get("id"))  # the identity rule (annotate.documents)
        disagreements += _disagreements(doc_id, task.get("id"), text, spans)
    return {
        "documents": documents,
        "definition": DEFINITION,
        "pairs": {pair: pair_scores(*lists, labels) for pair, lists in sorted(pairs.items())},
        "ground_truth": {name: pair_scores(*lists, labels) for name, lists in sorted(against_truth.items())},
        "chance": chance.report(),
        "disagreements": disagreements,
    }


def _disagreements(doc_id: str, task_id, text: str, spans: dict[str, list]) -> list[Disagreement]:
    """Every span not drawn by all of the compared parties of one task."""
    drawn = defaultdict(set)
    for name, found in spans.items():
        for s in found:
            drawn[(s.start, s.end, s.label)].add(name)
    everyone = set(spans)
    return [
        Disagreement(
            doc_id, task_id, label, start, end, text[start:end], tuple(sorted(names)), tuple(sorted(everyone - names))
        )
        for (start, end, label), names in sorted(drawn.items())
        if names != everyone
    ]


def pair_scores(true: list[list[dict]], pred: list[list[dict]], labels: list[str]) -> dict:
    """Strict and partial F1 per label (None for a label neither side drew) and micro, pooled
    from the per-label counts so that it never credits a span drawn with another label."""
    from nervaluate import Evaluator

    entities = Evaluator(true, pred, tags=labels, loader="dict").evaluate()[
        "entities"
    ]  # a first task without spans too
    pooled = {scheme: Counter() for scheme in SCHEMES}
    scores: dict = {}
    for label in labels:
        if label not in entities:
            scores[label] = dict.fromkeys(SCHEMES)
            continue
        scores[label] = {}
        for scheme in SCHEMES:
            result = entities[label][scheme]
            pooled[scheme].update(
                matched=result.correct + 0.5 * result.partial, actual=result.actual, possible=result.possible
            )
            scores[label][scheme] = _f1(result.correct + 0.5 * result.partial, result.actual, result.possible)
    scores["micro"] = {
        scheme: _f1(c["matched"], c["actual"], c["possible"]) if c["actual"] + c["possible"] else None
        for scheme, c in pooled.items()
    }
    return scores


def _f1(matched: float, actual: int, possible: int) -> float:
    precision = matched / actual if actual else 0.0
    recall = matched / possible if possible else 0.0
    return round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0


def agreement_table(pairs: dict, labels: list[str], first: str = "pair") -> str:
    """A Markdown table of strict / partial F1 (the `pairs` or `ground_truth` of an `agreement`)."""
    if not pairs:
        return "No document has two or more annotators."
    head = f"| {first} | " + " | ".join(f"{l} strict/partial F1" for l in labels + ["micro"]) + " |"
    lines = [head, "|---|" + "---|" * (len(labels) + 1)]
    for pair, scores in pairs.items():
        cells = [
            "–" if scores[l]["strict"] is None else f"{scores[l]['strict']:.2f} / {scores[l]['partial']:.2f}"
            for l in labels + ["micro"]
        ]
        lines.append(f"| {pair} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def agreement_tables(report: dict, labels: list[str]) -> str:
    """The pairs table, the table against the ground truth (when there is one), and what the
    numbers mean: the agreement section of the CLI and the card."""
    parts = [
        agreement_table(report["pairs"], labels)
        if report.get("pairs")
        else "No document has two or more annotators (the ground truth aside)."
    ]
    if report.get("ground_truth"):
        parts.append(agreement_table(report["ground_truth"], labels, first=f"annotator vs {GROUND_TRUTH}"))
    parts.append(DEFINITION)
    if report.get("chance") and report.get("pairs"):
        parts += [chance_table(report["chance"]), report["chance"]["definition"]]
    return "\n\n".join(parts)
