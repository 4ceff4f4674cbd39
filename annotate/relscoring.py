"""Relation scores: predicted relations against the gold, per relation type and micro.

A predicted relation is right when its type is the gold relation's and both of its endpoints
match the gold relation's endpoints: **strict**, each endpoint the same start, end and label;
**overlap**, each endpoint the same label and overlapping boundaries. Each gold relation is
matched at most once (strict matches first, then overlap matches in document order). A document
is scored on a relation type only when it is gold for both labels the type links (re3d, gold for
no ACTION, is never scored on `agent`).
"""

from __future__ import annotations

from newsgold.annotate.scoring import Counts, Scores, prf

SCHEMES = ("strict", "overlap")
DEFINITION = (
    "a relation is right when its type matches and both endpoints match: strict, the same start, "
    "end and label; overlap, the same label and overlapping boundaries; each gold relation matched once"
)


def _ends(record: dict) -> list[tuple[str, tuple, tuple]]:
    """(type, head span, tail span) of each relation of a record, spans as (start, end, label);
    relations whose endpoints are not spans of the record are left out (checked elsewhere)."""
    spans = {s.get("id"): (s["start"], s["end"], s["label"]) for s in record.get("spans") or [] if s.get("id")}
    found = []
    for relation in record.get("relations") or []:
        head, tail = spans.get(relation.get("head")), spans.get(relation.get("tail"))
        if head and tail:
            found.append((relation.get("label"), head, tail))
    return found


def _overlap(a: tuple, b: tuple) -> bool:
    return a[2] == b[2] and a[0] < b[1] and b[0] < a[1]


def pairs(gold: list, predicted: list, scheme: str, overlaps) -> list[tuple[int, int]]:
    """(predicted index, gold index) of each predicted item that finds a gold item, each gold
    item used once: equal items first, in order; under `overlap`, then the first free gold item
    `overlaps(predicted item, gold item)` holds for, in document order."""
    free, rest, found = dict(enumerate(gold)), [], []
    for i, item in enumerate(predicted):
        j = next((j for j, g in free.items() if g == item), None)
        if j is None:
            rest.append(i)
        else:
            found.append((i, j))
            del free[j]
    if scheme == "overlap":
        for i in rest:
            j = next((j for j, g in free.items() if overlaps(predicted[i], g)), None)
            if j is not None:
                found.append((i, j))
                del free[j]
    return found


def _matched(gold: list, predicted: list, scheme: str) -> int:
    """How many predicted relations find a gold relation of their type, each gold used once."""
    return len(
        pairs(gold, predicted, scheme, lambda p, g: g[0] == p[0] and _overlap(p[1], g[1]) and _overlap(p[2], g[2]))
    )


def relation_scores(
    gold: list[dict], predicted: dict[str, dict], relation_ends: dict[str, tuple[str, str]], labels: list[str]
) -> dict:
    """`types` (type -> scheme -> Scores) and `micro` (scheme -> Scores) of the predicted records
    (document id -> record, as `scoring.check_predictions` returns them) against the `gold`
    records, with `definition`; `unscored` names the types no gold document is gold for."""
    counts = {name: {s: Counts() for s in SCHEMES} for name in relation_ends}
    scored = set()
    for doc in gold:
        gold_for = set(doc.get("annotated_labels") or labels)
        prediction = predicted.get(doc["id"], {})
        gold_relations, predicted_relations = _ends(doc), _ends(prediction)
        for name, (head, tail) in relation_ends.items():
            if head not in gold_for or tail not in gold_for:
                continue
            scored.add(name)
            g = [r for r in gold_relations if r[0] == name]
            p = [r for r in predicted_relations if r[0] == name]
            for scheme in SCHEMES:
                counts[name][scheme] += Counts(_matched(g, p, scheme), 0, len(p), len(g))
    types: dict[str, dict[str, Scores]] = {}
    for name in relation_ends:
        if name in scored:
            types[name] = {s: prf(counts[name][s]) for s in SCHEMES}
    micro = {s: prf(sum((counts[n][s] for n in scored), Counts())) for s in SCHEMES}
    return {"types": types, "micro": micro, "definition": DEFINITION, "unscored": sorted(set(relation_ends) - scored)}


def relations_table(report: dict) -> str:
    """A Markdown table of `relation_scores`: strict and overlap P/R/F1 per type and micro."""
    from newsgold.annotate.scoring import cell

    lines = [
        "| relation | strict P | strict R | strict F1 | overlap P | overlap R | overlap F1 | gold | predicted |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, schemes in [*report["types"].items(), ("**micro**", report["micro"])]:
        s, o = schemes["strict"], schemes["overlap"]
        lines.append(
            f"| {name} | {cell(s['precision'])} | {cell(s['recall'])} | {cell(s['f1'])} | "
            f"{cell(o['precision'])} | {cell(o['recall'])} | {cell(o['f1'])} | {s['gold']} | {s['predicted']} |"
        )
    return "\n".join(lines)
