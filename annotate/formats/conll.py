"""CoNLL-2003 / IOB token-per-line files: the token first, its tag last."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from newsgold.annotate.errors import DocumentError
from newsgold.annotate.formats import InputFormat, Sample
from newsgold.annotate.formats.raw import RawDocument, RawSpan
from newsgold.annotate.jsonl import iter_lines

_CONLL_TAG = re.compile(r"O|([BIES])-(\S+)")


def read_conll(path: Path) -> Iterator[RawDocument]:
    """CoNLL-2003 / IOB token-per-line files: the token in the first column, its tag in the last,
    a blank line between sentences, `-DOCSTART-` lines between documents (without any, each
    sentence is a document). The text is rebuilt with one space between tokens and a newline
    between sentences; the spans are character spans into it. Tags are IOB2, IOB1 (an `I-` tag
    after `O` or another label opens an entity) or BIOES."""
    has_documents = any(line.startswith("-DOCSTART-") for _, line in iter_lines(path))
    sentences: list[list[tuple[str, str, int]]] = [[]]
    for number, line in iter_lines(path):
        columns = line.split()
        if columns and columns[0] == "-DOCSTART-":
            if any(sentences):
                yield _conll_document(sentences)
            sentences = [[]]
        elif not columns:
            if sentences[-1] and has_documents:
                sentences.append([])
            elif sentences[-1]:
                yield _conll_document(sentences)
                sentences = [[]]
        elif len(columns) < 2 or not _CONLL_TAG.fullmatch(columns[-1]):
            raise DocumentError(
                f"{path} line {number}: {line.strip()!r} is not a token followed by an "
                "IOB tag (O, B-LABEL, I-LABEL); a CoNLL line holds the token first and the tag last"
            )
        else:
            sentences[-1].append((columns[0], columns[-1], number))
    if any(sentences):
        yield _conll_document(sentences)


def _conll_document(sentences: list[list[tuple[str, str, int]]]) -> RawDocument:
    text, spans = [], []
    position = 0
    for sentence in filter(None, sentences):
        if text:
            text.append("\n")
            position += 1
        entity: RawSpan | None = None  # the open entity
        for i, (token, tag, line) in enumerate(sentence):
            if i:
                text.append(" ")
                position += 1
            prefix, label = _CONLL_TAG.fullmatch(tag).groups()
            continues = entity is not None and prefix in ("I", "E") and entity.label == label
            if entity is not None and not continues:
                spans.append(entity)
                entity = None
            if label and not continues:
                entity = RawSpan(position, position, label, line=line)
            text.append(token)
            position += len(token)
            if entity is not None:
                entity = entity._replace(end=position)
                if prefix in ("E", "S"):
                    spans.append(entity)
                    entity = None
        if entity is not None:
            spans.append(entity)
    first_line = next(sentence for sentence in sentences if sentence)[0][2]
    return RawDocument(first_line, "".join(text), spans, [], {})


_TAGGED_LINE = re.compile(rb"\S+(?:[ \t]+\S+)*[ \t]+(?:O|[BIES]-\S+)\s*")


def is_conll(sample: Sample) -> bool:
    """A first line that is `-DOCSTART-` or a token with an IOB tag last."""
    line = sample.first_line
    return line.startswith(b"-DOCSTART-") or _TAGGED_LINE.fullmatch(line) is not None


FORMAT = InputFormat(
    name="conll",
    title="CoNLL/IOB file",
    help="CoNLL-2003/IOB token-per-line",
    detect=is_conll,
    read=read_conll,
    order=60,
)
