"""What an export reports: counts, problems, agreement, notes; and its errors."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from newsgold.annotate.dataset import SPLITS
from newsgold.annotate.errors import ExportError
from newsgold.annotate.studio.resolve import OUTVOTED

DEFAULT_SEED = 13
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
_SPAN_KEYS = frozenset({"id", "start", "end", "label", "text"})


class RegionsUnreadable(ExportError):
    """A region of an export file could not be converted on its own: convert it in one process
    (`workers=1`), which either succeeds or names what is wrong with the file."""


@dataclass
class ExportReport:
    """The result of an export: where it went, what it holds, what was left out and why."""

    out: Path
    source: str
    policy: str = "latest"
    seed: int = DEFAULT_SEED
    ratios: tuple[float, float, float] = DEFAULT_RATIOS
    project: str | None = None  # the Label Studio project, for a live export
    # Where the gold was made: "label-studio" (a project or a Label Studio export file: people
    # correcting newsgold's pre-annotations, under its guidelines) or "gold-file" (another tool's or
    # corpus's gold, under its own conventions). `train fit` records it; `--model` chooses its merge by it.
    annotated_in: str = "label-studio"
    documents: int = 0
    split_counts: dict = field(default_factory=lambda: dict.fromkeys(SPLITS, 0))
    # split -> Counter(label) of the entities in ner_tags (B- tags): spans left out of the tags are problems
    label_counts: dict = field(default_factory=lambda: {name: Counter() for name in SPLITS})
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    problems: int = 0
    problem_kinds: Counter = field(default_factory=Counter)
    multi_annotated: int = 0
    agreement: dict | None = None  # `agreement.agreement()` on documents with several annotators, less disagreements
    notes: list[str] = field(default_factory=list)  # what the export did that a user should know
    # documents grouped by content (no story id), their stories and the largest story's size
    grouped: dict | None = None
    # split -> Counter of the event records (`count_events`): "events", "no_arguments", "role:<role>"
    # (arguments), "link:<relation>" (links carried on arguments)
    event_counts: dict = field(default_factory=lambda: {name: Counter() for name in SPLITS})

    def count_events(self, split: str, events) -> None:
        """Count the event records of one row (`annotate.events`) in `split`: the events, those
        without any argument, the arguments per role and the links per relation on them. The
        records say their roles and links themselves (every key besides an event's id and trigger
        is a role, every key of an argument besides a span's is a link)."""
        counts = self.event_counts[split]
        for event in events or ():
            counts["events"] += 1
            arguments = 0
            for role, found in event.items():
                if role in ("id", "trigger"):
                    continue
                counts[f"role:{role}"] += len(found)
                arguments += len(found)
                for argument in found:
                    for link, spans in argument.items():
                        if link not in _SPAN_KEYS:
                            counts[f"link:{link}"] += len(spans)
            counts["no_arguments"] += not arguments

    @property
    def outvoted(self) -> dict[str, int]:
        """What the majority vote left out, by problem kind (listed in problems.jsonl)."""
        return {kind: self.problem_kinds[kind] for kind in OUTVOTED}

    @property
    def empty_splits(self) -> list[str]:
        return [name for name in SPLITS if not self.split_counts.get(name)]

    def absorb(self, other: "ExportReport") -> None:
        """Add the counts of `other` (a worker's share of the same export)."""
        self.documents += other.documents
        self.problems += other.problems
        self.multi_annotated += other.multi_annotated
        self.skipped.update(other.skipped)
        self.problem_kinds.update(other.problem_kinds)
        for name in SPLITS:
            self.split_counts[name] += other.split_counts[name]
            self.label_counts[name].update(other.label_counts[name])
            self.event_counts[name].update(other.event_counts[name])
