"""`annotate export --to conll`: CoNLL-2003 token-per-line files, `conll/<split>.conll`.

Each document starts with a `-DOCSTART- O` line and a blank line; then one `TOKEN TAG` line per
token (its IOB2 tag from `ner_tags`), a blank line after each sentence: a sentence ends where
the text between two tokens holds a line break and no entity continues across it. The CoNLL
reader (`annotate.formats.conll.read_conll`) and seqeval's `get_entities` read the same entities
back. The format has no place for relations or events, nor for spans left out of `ner_tags`
(overlapping, or not on token boundaries: listed in problems.jsonl); `notes()` counts them.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from newsgold.annotate.export.writers import _FilePerSplit


def conll_lines(row: dict, tag_names) -> list[str]:
    """The lines of one dataset row (a JSONL row of the export) in CoNLL-2003, without newlines."""
    lines = ["-DOCSTART- O", ""]
    text, offsets = row["text"], row["token_offsets"]
    for i, (token, tag) in enumerate(zip(row["tokens"], row["ner_tags"])):
        name = tag_names[tag]
        if i and "\n" in text[offsets[i - 1][1] : offsets[i][0]] and not name.startswith("I-"):
            lines.append("")
        lines.append(f"{token} {name}")
    lines.append("")
    return lines


def tagged_entities(tags: list[str]) -> int:
    return sum(tag.startswith("B-") for tag in tags)


class ConllWriter(_FilePerSplit):
    """`conll/<split>.conll` (module docstring)."""

    name, paths = "conll", ("conll",)
    summary = "conll/<split>.conll, CoNLL-2003 token and IOB2 tag; no relations or events"

    def __init__(self, folder: Path, schema, features, gold=None) -> None:
        self.tag_names = features["ner_tags"].feature.names
        self.relations = self.events = self.untagged = 0
        (folder / "conll").mkdir()
        self._open(lambda name: open(folder / "conll" / f"{name}.conll", "w", encoding="utf-8", newline="\n"))

    def write(self, split: str, table, lines: list[bytes]) -> None:
        handle = self.files[split]
        for line in lines:
            row = orjson.loads(line)
            for token in row["tokens"]:
                if not token or any(c.isspace() for c in token):
                    raise ValueError(f"token {token!r} of document {row['id']} cannot be a CoNLL token")
            written = conll_lines(row, self.tag_names)
            handle.write("\n".join(written) + "\n")
            self.relations += len(row["relations"])
            self.events += len(row.get("events") or [])
            self.untagged += len(row["spans"]) - tagged_entities([self.tag_names[t] for t in row["ner_tags"]])

    def notes(self) -> list[str]:
        lost = [
            f"{n} {what}"
            for n, what in (
                (self.relations, "relation(s)"),
                (self.events, "event(s)"),
                (self.untagged, "span(s) outside ner_tags"),
            )
            if n
        ]
        if not lost:
            return []
        return [
            f"conll holds tokens and IOB2 tags only: {', '.join(lost)} are not in conll/ "
            "(jsonl, hf and parquet hold them)"
        ]
