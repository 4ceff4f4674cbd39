"""BRAT standoff gold: a folder of `.txt` + `.ann` pairs (or one `.ann` with its `.txt` beside
it), and the `annotation.conf` BRAT would use, read as raw gold documents (`formats.raw`).

- The `.txt` is read as BRAT reads it: UTF-8 bytes decoded as they are (no newline translation,
  a byte-order mark kept as a character), offsets are character (code point) indices into it.
  Every `T` line's text must equal `text[start:end]` (fragments joined by one space), BRAT's own
  check; a mismatch is a DocumentError naming the file and line.
- `T` text-bound annotations become spans (id `T1`, ...). A discontinuous one (`0 5;8 12`) is
  taken as the span covering its fragments, and listed (problem kind `discontinuous`).
- `R` relations become relations Arg1 -> Arg2 of the relation's type.
- `E` events: the trigger `T` becomes a span labelled with the event type, and each role a
  relation trigger -> argument named by the role, its numeric suffix dropped (`Place2` ->
  `Place`) unless annotation.conf declares the role with it; `--label-map` maps event types,
  labels and roles (`Attack=ACTION`, `Attacker=agent`). An argument that is itself an event is
  listed (`event-argument`), as is a trigger shared by several events (`shared-trigger`: newsgold
  has one event per trigger span, their roles are merged).
- `A`/`M` attributes, `N` normalisations, `#` notes and `*` equivalences are ignored and listed,
  one problem each (`ignored-attribute`, `ignored-normalization`, `ignored-note`, `ignored-equivalence`).
- `annotation.conf`, looked up from the `.ann`'s folder upwards as BRAT does: an entity, relation
  or event type, or an event role, that it does not declare is listed (`undeclared-type`); the
  annotation is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from newsgold.annotate.errors import DocumentError
from newsgold.annotate.formats import InputFormat, Sample
from newsgold.annotate.formats.raw import RawDocument, RawSpan
from newsgold.annotate.spans import Relation
from newsgold.annotate.studio.lsformat import Problem

CONF = "annotation.conf"
_ID = re.compile(r"([TREAMN]\d+|#\d*|\*)$")
_IGNORED = {
    "A": "ignored-attribute",
    "M": "ignored-attribute",
    "N": "ignored-normalization",
    "#": "ignored-note",
    "*": "ignored-equivalence",
}


# ------------------------------------------------------------------ annotation.conf


@dataclass
class Conf:
    """The types an annotation.conf declares: entities, relations, events (with their roles)."""

    path: Path
    entities: set[str] = field(default_factory=set)
    relations: set[str] = field(default_factory=set)
    events: dict[str, set[str]] = field(default_factory=dict)  # event type -> its roles

    def undeclared(self, kind: str, name: str, event: str | None = None) -> str | None:
        """Why `name` (an entity, relation or event type, or a role of `event`) is not declared."""
        if kind == "role":
            roles = self.events.get(event or "")
            if roles is None or name in roles:
                return None
            return f"role {name!r} of event {event!r} is not declared in {self.path} (roles: {', '.join(sorted(roles)) or 'none'})"
        declared = {"entity": self.entities, "relation": self.relations, "event": self.events}[kind]
        if name in declared:
            return None
        section = {"entity": "entities", "relation": "relations", "event": "events"}[kind]
        return f"{kind} type {name!r} is not declared in {self.path} [{section}]; the annotation is kept"


def read_conf(path: Path) -> Conf:
    """The declared types of the annotation.conf `path`: the term hierarchy of each section
    ([entities] (alias [spans]), [relations], [events]); `#` comments, `!` (abstract types,
    still names), `<MACRO>=...` definitions and `----` separators as BRAT reads them."""
    conf, section, macros = Conf(path), None, {}
    for line in _read(path, "annotation.conf").split("\n"):
        stripped = line.strip()
        header = re.fullmatch(r"\[(.*)\]", stripped)
        if header:
            section, macros = {"spans": "entities"}.get(header.group(1), header.group(1)), {}
            continue
        if not stripped or stripped.startswith("#") or re.fullmatch(r"-+", stripped):
            continue
        macro = re.match(r"<([a-zA-Z_-]+)>=\s*(.*?)\s*$", stripped)
        if macro:
            macros[f"<{macro.group(1)}>"] = macro.group(2)
            continue
        for name, value in macros.items():
            stripped = stripped.replace(name, value)
        terms = stripped.split("\t", 1)[0] if "\t" in stripped else stripped.split(None, 1)[0]
        names = [t.strip().lstrip("!") for t in terms.split("|") if t.strip()]
        if section == "entities":
            conf.entities.update(names)
        elif section == "relations":
            conf.relations.update(n for n in names if not n.startswith("<"))
        elif section == "events":
            rest = stripped[len(terms) :]
            roles = {
                re.sub(r"(\{\S+\}|\?|\*|\+)$", "", arg.split(":", 1)[0].strip())
                for arg in rest.split(",")
                if ":" in arg
            }
            for name in names:
                conf.events.setdefault(name, set()).update(roles)
    return conf


def find_conf(folder: Path, found: dict[Path, Conf | None]) -> Conf | None:
    """The annotation.conf of the first of `folder` and its parents holding one (BRAT's lookup),
    cached in `found` by folder."""
    folder = folder.resolve()
    if folder not in found:
        candidate = folder / CONF
        if candidate.is_file():
            found[folder] = read_conf(candidate)
        else:
            found[folder] = None if folder.parent == folder else find_conf(folder.parent, found)
    return found[folder]


# ------------------------------------------------------------------ the documents


def ann_files(path: Path) -> list[Path]:
    """The .ann files of `path`: a folder (and its subfolders, sorted) or one .ann file."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.ann") if p.is_file())
        if not files:
            raise DocumentError(
                f"{path}: no .ann file in the folder or its subfolders; give a BRAT folder of "
                ".txt + .ann pairs, or one .ann file"
            )
        return files
    if path.suffix.lower() != ".ann":
        raise DocumentError(
            f"{path}: not a BRAT .ann file nor a folder of them; give the .ann (its .txt beside it) or the folder"
        )
    return [path]


def _read(path: Path, what: str) -> str:
    """A UTF-8 file decoded as BRAT decodes it: as it is, no newline translation."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        fix = "a BRAT .ann needs its .txt beside it, with the same name" if what == ".txt" else "check the path"
        raise DocumentError(f"{path}: no such file; {fix}") from None
    except OSError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror}); check the file") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path}: byte {exc.start} is not UTF-8 ({exc.reason}); BRAT files are UTF-8: save it as UTF-8"
        ) from None


def read_brat(path: Path) -> Iterator[RawDocument]:
    """The documents of a BRAT folder or .ann file `path` (see the module): one per .ann, its
    text the .txt beside it, spans and relations as the module says, and the problems found."""
    confs: dict[Path, Conf | None] = {}
    for number, ann in enumerate(ann_files(Path(path)), 1):
        txt = ann.with_suffix(".txt")
        parsed = _parse(ann, _read(ann, ".ann"), _read(txt, ".txt"), find_conf(ann.parent, confs))
        spans = [
            RawSpan(start, end, label, text, id=ident, line=line)
            for ident, (start, end, label, text, line) in parsed.spans.items()
        ]
        yield RawDocument(
            number, parsed.text, spans, parsed.relations, {"source": txt.name}, where=str(ann), problems=parsed.problems
        )


@dataclass
class _Parsed:
    text: str
    spans: dict[str, tuple[int, int, str, str | None, int]] = field(default_factory=dict)  # id -> span, line
    relations: list[Relation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _parse(ann: Path, content: str, text: str, conf: Conf | None) -> _Parsed:
    parsed = _Parsed(text)
    events: list[tuple[int, str, str, str, list[tuple[str, str]]]] = []  # line, id, type, trigger, roles
    relations: list[tuple[int, str, str, list[tuple[str, str]]]] = []
    seen: dict[str, int] = {}

    def listed(kind: str, line: int, annotation: str, detail: str) -> None:
        parsed.problems.append(
            Problem(kind, {"file": str(ann), "line": line, "text": annotation}, f"{ann} line {line}: {detail}")
        )

    for number, line in enumerate(content.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        ident, _, rest = line.partition("\t")
        where = f"{ann} line {number}"
        if not _ID.match(ident):
            raise DocumentError(
                f"{where}: {line[:80]!r} does not start with a BRAT id (T1, R1, E1, A1, M1, N1, "
                "#1 or *) and a tab; fix the line"
            )
        if ident in seen and ident != "*":
            raise DocumentError(
                f"{where}: id {ident} is already used on line {seen[ident]}; give every annotation its own id"
            )
        seen[ident] = number
        kind = ident[0]
        if kind in _IGNORED:
            listed(
                _IGNORED[kind],
                number,
                line,
                f"{ident} ignored: newsgold gold has no {_IGNORED[kind].removeprefix('ignored-')}s",
            )
            continue
        data, _, tail = rest.partition("\t")
        if kind == "T":
            _textbound(parsed, where, number, ident, data, tail, conf, listed)
        else:
            type_, *args = data.split()
            pairs = [tuple(arg.split(":", 1)) for arg in args]
            if not type_ or any(len(pair) != 2 or not all(pair) for pair in pairs):
                raise DocumentError(f"{where}: {line[:80]!r} is not `{ident}<tab>TYPE ROLE:ID ...`; fix the line")
            if kind == "R":
                if len(pairs) != 2:
                    raise DocumentError(
                        f"{where}: relation {ident} has {len(pairs)} arguments, not 2 (Arg1:ID Arg2:ID); fix the line"
                    )
                relations.append((number, ident, type_, pairs))
            else:
                if ":" not in type_:
                    raise DocumentError(
                        f"{where}: event {ident} has no trigger (TYPE:T1 first); BRAT events "
                        "newsgold reads have a trigger"
                    )
                event_type, trigger = type_.split(":", 1)
                events.append((number, ident, event_type, trigger, pairs))
    event_ids = {ident for _, ident, *_ in events}

    def target(ident: str, line: int, what: str, annotation: str) -> str | None:
        """The span id `ident` names, or None when it is an event (listed)."""
        if ident in parsed.spans:
            return ident
        if ident in event_ids:
            listed(
                "event-argument",
                line,
                annotation,
                f"{what} is event {ident}: an event as an argument "
                "cannot be carried (newsgold's arguments are spans); not exported",
            )
            return None
        raise DocumentError(
            f"{ann} line {line}: {what} names {ident}, which is no T annotation of the file; fix the id"
        )

    for line, ident, type_, pairs in relations:
        if conf and (why := conf.undeclared("relation", type_)):
            listed("undeclared-type", line, f"{ident} {type_}", why)
        ends = [target(arg, line, f"{ident} {role}", f"{ident} {type_}") for role, arg in pairs]
        if None not in ends:
            parsed.relations.append(Relation(ends[0], ends[1], type_))
    triggers: dict[str, str] = {}  # trigger id -> the first event on it
    for line, ident, event_type, trigger, pairs in events:
        annotation = f"{ident} {event_type}:{trigger}"
        if conf and (why := conf.undeclared("event", event_type)):
            listed("undeclared-type", line, annotation, why)
        if target(trigger, line, f"the trigger of {ident}", annotation) is None:
            continue
        start, end, _, found, tline = parsed.spans[trigger]
        if trigger in triggers:
            listed(
                "shared-trigger",
                line,
                annotation,
                f"{ident} has the trigger of {triggers[trigger]} "
                f"({trigger}): newsgold has one event per trigger span, their arguments are merged",
            )
        else:
            triggers[trigger] = ident
            parsed.spans[trigger] = (start, end, event_type, found, tline)
        for role, arg in pairs:
            name = role if conf and role in conf.events.get(event_type, ()) else split_role(role)
            if conf and (why := conf.undeclared("role", name, event_type)):
                listed("undeclared-type", line, f"{ident} {role}:{arg}", why)
            tail = target(arg, line, f"role {role} of {ident}", f"{ident} {role}:{arg}")
            if tail is not None:
                parsed.relations.append(Relation(trigger, tail, name))
    return parsed


def split_role(role: str) -> str:
    """`role` without its numeric suffix (BRAT's `split_role`: Place2 -> Place; at least one
    character is kept)."""
    stripped = role.rstrip("0123456789")
    return stripped or role[:1]


def _textbound(
    parsed: _Parsed, where: str, number: int, ident: str, data: str, tail: str, conf: Conf | None, listed
) -> None:
    label, _, offsets = data.partition(" ")
    fragments = []
    for fragment in offsets.split(";"):
        parts = fragment.split()
        if len(parts) != 2 or not all(part.isdigit() for part in parts):
            raise DocumentError(
                f"{where}: {ident} offsets {offsets!r} are not `START END` pairs separated by "
                "`;`; fix the line (id, tab, TYPE START END, tab, text)"
            )
        fragments.append((int(parts[0]), int(parts[1])))
    text = parsed.text
    for start, end in fragments:
        if not 0 <= start <= end <= len(text):
            raise DocumentError(
                f"{where}: {ident} [{start}, {end}) is outside its .txt ({len(text)} characters): "
                "the .ann belongs to another text or the .txt was changed; fix the offsets or "
                "restore the .txt"
            )
    expected = " ".join(text[start:end] for start, end in fragments)
    given = tail[: len(expected)]
    if tail and (given != expected or tail[len(expected) : len(expected) + 1].strip()):
        raise DocumentError(
            f"{where}: {ident} text {tail!r} is not the .txt's {expected!r} at {offsets}: the "
            "offsets index another text (offsets are characters of the UTF-8 .txt, not bytes); "
            "fix the offsets or the text"
        )
    start, end = min(s for s, _ in fragments), max(e for _, e in fragments)
    if conf and (why := conf.undeclared("entity", label)) and label not in conf.events:
        listed("undeclared-type", number, f"{ident} {label}", why)
    if len(fragments) > 1:
        listed(
            "discontinuous",
            number,
            f"{ident} {label} {offsets}",
            f"{ident} has {len(fragments)} fragments ({offsets}); taken as the span covering them, [{start}, {end})",
        )
    parsed.spans[ident] = (start, end, label, None if len(fragments) > 1 else text[start:end], number)


def is_brat(sample: Sample) -> bool:
    """A folder (of .txt + .ann pairs) or a .ann file; the file is not opened."""
    return sample.path.is_dir() or sample.path.suffix.lower() == ".ann"


FORMAT = InputFormat(
    name="brat",
    title="BRAT standoff",
    help="BRAT standoff (a folder of .txt + .ann, or one .ann; auto for a folder or .ann)",
    detect=is_brat,
    read=read_brat,
    order=10,
    folders=True,
)
