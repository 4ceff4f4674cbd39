"""Event scores: predicted events against the gold, the standard event extraction measures.

An event is a trigger span (the schema's event trigger label, ACTION) with its arguments: the
spans its role relations (those that start from the trigger label: agent, place, quantity) lead
to. The measures are Ji & Grishman (2008)'s as TextEE computes them end to end (`TextEE/scorer.py`,
`compute_E2E_*`: trigger identification and classification, and argument identification and
classification in their *attached* form, an argument keyed by its trigger's span, so an argument
counts only on the right trigger). OneIE's `score_graphs` keys an argument by its trigger's event
type instead, which with one trigger label would credit an argument attached to any trigger: we
follow TextEE's attached form, as the issue asks. Two departures, both stated in `DEFINITIONS`:
besides TextEE's exact boundaries (strict) we score overlapping boundaries of the same label
(overlap), and each gold trigger or argument is matched at most once (exact matches first, then
overlap in document order, as `relscoring` matches relations), where TextEE dedups with sets.

- **trigger identification**: a predicted trigger span matches a gold trigger span. With one
  trigger label, classification is the same figure (reported once, and said so).
- **argument identification**: a predicted argument is right when its trigger is matched to a
  gold trigger and its span matches an argument span of THAT gold event, role ignored.
- **argument classification**: identification, and the role matches too; per role and micro.
- the other relations (`counts`: COUNT -> ACTOR) by `relscoring.relation_scores`.

A document is scored on triggers when it is gold for the trigger label, and on a role when it is
gold for both labels the role joins (re3d, gold for no ACTION, is scored on `counts` alone).
Relations whose endpoints are not spans of their document, or whose head is not a trigger span,
are no argument.
"""

from __future__ import annotations

from newsgold.annotate.relscoring import SCHEMES, _overlap, pairs, relation_scores
from newsgold.annotate.scoring import Counts, Scores, _unscored, cell, prf

DEFAULT_TRIGGER = "ACTION"
DEFINITIONS = (
    "Ji & Grishman 2008 as TextEE computes them (its attached argument scores); strict: the same start, "
    "end and label; overlap: the same label and overlapping boundaries; each gold trigger or argument "
    "matched once, exact matches first.\n"
    "- trigger identification: a predicted trigger (ACTION) span matches a gold one; with one trigger "
    "label, trigger classification is the same figure.\n"
    "- argument identification: the argument's trigger matches a gold trigger and its span matches an "
    "argument span of that gold event, role ignored (micro only: the role is not looked at).\n"
    "- argument classification: identification, and the role matches too; per role and micro.\n"
    "- relations that are no role (counts): relation F1, both endpoints and the type matching."
)


def event_structure(schema_or_relation_ends, trigger: str | None = None, roles=None) -> tuple[dict, str, list[str]]:
    """(relation ends, trigger label, role names) of a Schema or of a relation-ends dict
    (`Schema.relation_ends`): the trigger and roles given, else the schema's `event_trigger` and
    `event_roles` where it has them, else ACTION and the relations that start from it, in order."""
    ends = getattr(schema_or_relation_ends, "relation_ends", schema_or_relation_ends)
    trigger = trigger or getattr(schema_or_relation_ends, "event_trigger", None) or DEFAULT_TRIGGER
    if roles is None:
        roles = getattr(schema_or_relation_ends, "event_roles", None)
    if roles is None:
        roles = [name for name, (head, _) in ends.items() if head == trigger]
    return dict(ends), trigger, [getattr(role, "name", role) for role in roles]


def _events(record: dict, trigger: str, roles: set[str]) -> list[tuple[tuple, list[tuple[str, tuple]]]]:
    """(trigger span, [(role, argument span), ...]) of each trigger span of a record, in span
    order, spans as (start, end, label), the arguments of `roles` only."""
    spans = record.get("spans") or []
    by_id = {s["id"]: (s["start"], s["end"], s["label"]) for s in spans if s.get("id")}
    arguments: dict[str, list] = {}
    for relation in record.get("relations") or []:
        head, tail = by_id.get(relation.get("head")), by_id.get(relation.get("tail"))
        if relation.get("label") in roles and head and tail and head[2] == trigger:
            arguments.setdefault(relation["head"], []).append((relation["label"], tail))
    triggers = sorted((s for s in spans if s["label"] == trigger), key=lambda s: (s["start"], s["end"]))
    return [
        ((s["start"], s["end"], s["label"]), arguments.get(s.get("id"), []) if s.get("id") else []) for s in triggers
    ]


def _same_role_overlap(p: tuple, g: tuple) -> bool:
    return p[0] == g[0] and _overlap(p[1], g[1])


def _count(gold: list, predicted: list, scheme: str, counts: dict) -> None:
    """Add one document's events (`_events`) under `scheme` to `counts`."""
    matched = pairs([g[0] for g in gold], [p[0] for p in predicted], scheme, _overlap)
    counts["triggers"] += Counts(len(matched), 0, len(predicted), len(gold))
    identified = 0
    for i, j in matched:
        p_args, g_args = predicted[i][1], gold[j][1]
        identified += len(pairs([a[1] for a in g_args], [a[1] for a in p_args], scheme, _overlap))
        for k, _ in pairs(g_args, p_args, scheme, _same_role_overlap):
            counts["roles"][p_args[k][0]] += Counts(correct=1)
    p_all = [role for _, args in predicted for role, _ in args]
    g_all = [role for _, args in gold for role, _ in args]
    counts["identification"] += Counts(identified, 0, len(p_all), len(g_all))
    for role in counts["roles"]:
        counts["roles"][role] += Counts(0, 0, p_all.count(role), g_all.count(role))


def event_scores(
    gold_records: list[dict],
    predicted_by_id: dict[str, dict],
    schema_or_relation_ends,
    labels: list[str],
    trigger: str | None = None,
    roles=None,
) -> dict:
    """The event report of the predicted records (document id -> record, as
    `scoring.check_predictions` returns them; a gold document without one: nothing predicted)
    against the `gold_records` (JSONL records: spans with ids, relations by span id), each
    scheme (strict, overlap) -> Scores: `triggers` (identification = classification),
    `argument_identification`, `argument_classification` (`roles`: role -> scheme -> Scores, and
    `micro`), `relations` (`relscoring.relation_scores` of the relations that are no role),
    `documents` (scored on triggers), `unscored` (trigger or role -> why), `definition`.
    Trigger and roles: `event_structure`."""
    ends, trigger, roles = event_structure(schema_or_relation_ends, trigger, roles)
    counts = {
        s: {"triggers": Counts(), "identification": Counts(), "roles": {r: Counts() for r in roles}} for s in SCHEMES
    }
    documents, scored = 0, set()
    for doc in gold_records:
        gold_for = set(doc.get("annotated_labels") or labels)
        if trigger not in gold_for:
            continue
        documents += 1
        here = {role for role in roles if ends[role][1] in gold_for}
        scored |= here
        gold = _events(doc, trigger, here)
        predicted = _events(predicted_by_id.get(doc["id"], {}), trigger, here)
        for scheme in SCHEMES:
            _count(gold, predicted, scheme, counts[scheme])
    unscored = {}
    if not documents:
        unscored[trigger] = f"no gold document is gold for {trigger}"
    for role in roles:
        if role not in scored and documents:
            unscored[role] = f"no gold document is gold for both {trigger} and {ends[role][1]}"

    def figures(pick) -> dict[str, Scores]:
        if not documents:
            return {s: _unscored(0, unscored[trigger]) for s in SCHEMES}
        return {s: prf(pick(counts[s])) for s in SCHEMES}

    kept = [role for role in roles if role in scored]
    links = relation_scores(gold_records, predicted_by_id, {n: e for n, e in ends.items() if n not in roles}, labels)
    return {
        "trigger": trigger,
        "roles": roles,
        "documents": documents,
        "triggers": figures(lambda c: c["triggers"]),
        "trigger_classification": f"the same as trigger identification: {trigger} is the one trigger label",
        "argument_identification": figures(lambda c: c["identification"]),
        "argument_classification": {
            "roles": {role: figures(lambda c, r=role: c["roles"][r]) for role in kept},
            "micro": figures(lambda c: sum((c["roles"][r] for r in kept), Counts())),
        },
        "relations": links,
        "unscored": unscored,
        "definition": DEFINITIONS,
    }


def scored(report: dict) -> bool:
    """Whether an event report scores anything: triggers, or a relation that is no role."""
    return report["trigger"] not in report["unscored"] or bool(report["relations"]["types"])


def _rows(report: dict) -> list[tuple[str, dict]]:
    """(name, scheme -> Scores) of each row of `events_table`: what the report scores."""
    rows = []
    if report["trigger"] not in report["unscored"]:
        classification = report["argument_classification"]
        rows += [
            (f"trigger identification = classification ({report['trigger']})", report["triggers"]),
            ("argument identification", report["argument_identification"]),
            *((f"argument classification: {role}", s) for role, s in classification["roles"].items()),
            ("**argument classification (micro)**", classification["micro"]),
        ]
    return rows + [(f"relation: {name}", s) for name, s in report["relations"]["types"].items()]


def event_notes(report: dict) -> list[str]:
    """One line per trigger or role not scored, and per reason a figure of a row of
    `events_table` cannot be computed (what its "–" means)."""
    lines = [f"events: {name} not scored: {reason}" for name, reason in report["unscored"].items()]
    for name, schemes in _rows(report):
        reasons = dict.fromkeys(s["reason"] for s in schemes.values() if s["reason"])
        lines += [f"events: {name.strip('*')}: {reason}" for reason in reasons]
    return lines


def events_table(report: dict) -> str:
    """A Markdown table of `event_scores`: strict and overlap P/R/F1 of trigger identification,
    argument identification, argument classification per role and micro, and the relations that
    are no role, with the gold and predicted counts (strict's; overlap counts the same items)."""
    lines = [
        "| event measure | strict P | strict R | strict F1 | overlap P | overlap R | overlap F1 | gold | predicted |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, schemes in _rows(report):
        s, o = schemes["strict"], schemes["overlap"]
        lines.append(
            f"| {name} | {cell(s['precision'])} | {cell(s['recall'])} | {cell(s['f1'])} | "
            f"{cell(o['precision'])} | {cell(o['recall'])} | {cell(o['f1'])} | {s['gold']} | {s['predicted']} |"
        )
    return "\n".join(lines)
