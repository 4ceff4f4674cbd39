"""`annotate export --to brat` (annotate/export/to_brat.py): the standoff files follow BRAT's
rules and our BRAT reader reads them back to the same spans, relations and events."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.events import events_of
from newsgold.annotate.export import ExportError, export_dataset
from newsgold.annotate.export.to_brat import file_stem
from newsgold.annotate.formats.brat import read_brat, read_conf
from newsgold.annotate.schema import load_schema

STARTER = Path(__file__).resolve().parent.parent / "seeds" / "gold" / "starter"
TEXT = "Rebels and militias attacked Homs.\nThe 300\nsoldiers fled."
CRAFTED = [  # two agents of one event, a span across a line break, a COUNT inside an ACTOR, odd ids
    {
        "id": "news/2026 #1",
        "story_id": "s",
        "text": TEXT,
        "spans": [
            {"id": "a1", "start": 0, "end": 6, "label": "ACTOR"},
            {"id": "a2", "start": 11, "end": 19, "label": "ACTOR"},
            {"id": "e1", "start": 20, "end": 28, "label": "ACTION"},
            {"id": "l1", "start": 29, "end": 33, "label": "LOCATION"},
            {"id": "a3", "start": 35, "end": 51, "label": "ACTOR"},
            {"id": "c1", "start": 39, "end": 42, "label": "COUNT"},
            {"id": "e2", "start": 52, "end": 56, "label": "ACTION"},
        ],
        "relations": [
            {"head": "e1", "tail": "a1", "label": "agent"},
            {"head": "e1", "tail": "a2", "label": "agent"},
            {"head": "e1", "tail": "l1", "label": "place"},
            {"head": "e2", "tail": "a3", "label": "agent"},
            {"head": "e2", "tail": "c1", "label": "quantity"},
            {"head": "c1", "tail": "a3", "label": "counts"},
        ],
    },
    {
        "id": "Case",
        "story_id": "s",
        "text": "Troops withdrew.",
        "annotated_labels": ["ACTOR", "ACTION"],
        "spans": [
            {"id": "x", "start": 0, "end": 6, "label": "ACTOR"},
            {"id": "y", "start": 7, "end": 15, "label": "ACTION"},
        ],
        "relations": [{"head": "y", "tail": "x", "label": "agent"}],
    },
    {"id": "case", "story_id": "s", "text": "Nobody came."},
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("brat")
    gold = folder / "gold.jsonl"
    crafted = "".join(
        json.dumps({**d, "spans": [{**s, "text": d["text"][s["start"] : s["end"]]} for s in d.get("spans", [])]}) + "\n"
        for d in CRAFTED
    )
    gold.write_bytes(
        b"".join((STARTER / f"{s}.jsonl").read_bytes() for s in ("train", "validation")) + crafted.encode("utf-8")
    )
    report = export_dataset(folder / "out", from_file=gold, to="brat,jsonl")
    return report, folder / "out"


def _rows(out):
    return [
        json.loads(line) for path in sorted((out / "jsonl").glob("*.jsonl")) for line in path.read_text().splitlines()
    ]


def _keyed(spans, relations):
    """Spans as (start, end, label); relations and event records with span ids replaced by them."""
    by_id = {s["id"]: (s["start"], s["end"], s["label"]) for s in spans}

    def strip(value):
        if isinstance(value, dict):
            return tuple(sorted((k, strip(v)) for k, v in value.items() if k != "id"))
        return tuple(map(strip, value)) if isinstance(value, list) else value

    return (
        sorted(by_id.values()),
        sorted((by_id[r["head"]], by_id[r["tail"]], r["label"]) for r in relations),
        [strip(e) for e in events_of(spans, relations, load_schema(None))],
    )


def test_brat_round_trip_by_our_reader(exported):
    report, out = exported
    rows = {row["text"]: row for row in _rows(out)}
    read = list(read_brat(out / "brat"))
    assert len(read) == len(rows) > 50
    events = arguments = 0
    for doc in read:
        row = rows[doc.text]  # the .txt is the text, exactly
        spans = [
            {"id": s.id, "start": s.start, "end": s.end, "label": s.label, "text": doc.text[s.start : s.end]}
            for s in doc.spans
        ]
        relations = [{"head": r.head, "tail": r.tail, "label": r.label} for r in doc.relations]
        assert _keyed(spans, relations) == _keyed(row["spans"], row["relations"])
        assert [
            json.dumps(e, sort_keys=True) for e in events_of(row["spans"], row["relations"], load_schema(None))
        ] == [json.dumps(e, sort_keys=True) for e in row["events"]]  # the column is what we compare through
        events += len(row["events"])
        arguments += sum(len(e["agent"]) for e in row["events"])
        assert {p.kind for p in doc.problems} <= {"discontinuous"}
    assert events > 100 and arguments > 100
    [crafted] = [d for d in read if d.text == TEXT]
    assert [p.kind for p in crafted.problems] == ["discontinuous"]  # "The 300\nsoldiers", in two fragments


def test_brat_files_follow_the_format(exported):
    report, out = exported
    conf = read_conf(out / "brat" / "annotation.conf")
    assert conf.entities == {"ACTOR", "LOCATION", "COUNT"} and conf.relations == {"counts"}
    assert conf.events == {"ACTION": {"agent", "place", "quantity"}}
    anns = sorted((out / "brat").rglob("*.ann"))
    assert {p.parent.name for p in anns} <= {"train", "validation", "test"}
    kinds = set()
    for ann in anns:
        text = ann.with_suffix(".txt").read_bytes().decode("utf-8")
        ids = set()
        for line in ann.read_bytes().decode("utf-8").split("\n")[:-1]:
            fields = line.split("\t")
            ident = fields[0]
            assert re.fullmatch(r"[TER][1-9]\d*", ident) and ident not in ids
            kinds.add(ident[0])
            if ident[0] == "T":
                assert len(fields) == 3
                label, offsets = fields[1].split(" ", 1)
                pieces = [tuple(map(int, p.split(" "))) for p in offsets.split(";")]
                assert re.fullmatch(r"\d+ \d+(;\d+ \d+)*", offsets) and all(a < b <= len(text) for a, b in pieces)
                assert fields[2] == " ".join(text[a:b] for a, b in pieces)
                assert label in conf.entities | set(conf.events)
            else:
                assert len(fields) == 2
                head, *args = fields[1].split(" ")
                if ident[0] == "E":
                    event, trigger = head.split(":")
                    assert event in conf.events and trigger in ids
                    assert all(re.sub(r"\d+$", "", a.split(":")[0]) in conf.events[event] for a in args)
                else:
                    assert head in conf.relations and [a.split(":")[0] for a in args] == ["Arg1", "Arg2"]
                assert all(a.split(":")[1] in ids for a in args)
            ids.add(ident)
    assert kinds == {"T", "E", "R"}
    names = {p.stem for p in anns}
    assert "Case" in names and "case-2" in names and not any("/" in n or " " in n for n in names)
    assert any(n.startswith("news_2026_1-") for n in names)
    assert any("gold for only some labels" in note and "1 document(s)" in note for note in report.notes)
    assert any("1 span(s) across a line break" in note for note in report.notes)


def test_file_stem_names_every_id_apart():
    taken: set[str] = set()
    stems = [file_stem(i, taken) for i in ("a1", "A1", "../etc", "CON", "x" * 200, "a1-2", ".hidden")]
    assert stems[0] == "a1" and stems[1] == "A1-2" and len({s.casefold() for s in stems}) == len(stems)
    assert all(re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", s) and len(s) <= 100 for s in stems)
    assert stems[3] != "CON"


def test_cli_to_brat_alone_and_force_keeps_a_users_file(tmp_path):
    out = tmp_path / "o"
    args = ["export", "--from", str(STARTER / "validation.jsonl"), "--out", str(out), "--to", "brat"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [".newsgold-export", "README.md", "brat", "problems.jsonl"]
    assert CliRunner().invoke(cli, args + ["--force"]).exit_code == 0  # brat/ is newsgold's: replaced
    (out / "notes.txt").write_text("mine")
    result = CliRunner().invoke(cli, args + ["--force"])
    assert result.exit_code != 0 and "notes.txt" in result.output
    assert (out / "notes.txt").read_text() == "mine" and (out / "brat").is_dir()
    with pytest.raises(ExportError):
        export_dataset(out, from_file=STARTER / "validation.jsonl", to="brat", force=True)


def test_cli_reads_its_own_brat_back(exported, tmp_path):
    report, out = exported
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "--from",
            str(out / "brat"),
            "--out",  # detected as BRAT
            str(tmp_path / "again"),
            "--to",
            "jsonl",
        ],
    )
    assert result.exit_code == 0, result.output
    again = {row["text"]: row for row in _rows(tmp_path / "again")}
    for row in _rows(out):
        assert _keyed(again[row["text"]]["spans"], again[row["text"]]["relations"]) == _keyed(
            row["spans"], row["relations"]
        )


def test_help_of_to_is_the_writers_registry():
    from newsgold.annotate.export.targets import DEFAULT, WRITERS

    result = CliRunner().invoke(cli, ["export", "--help"])
    assert result.exit_code == 0
    line = " ".join(result.output.split("--to", 1)[1].split("--policy")[0].split())  # unwrapped
    assert all(" ".join(f"{kind.name} ({kind.summary})".split()) in line for kind in WRITERS)
    assert f"[default: {','.join(DEFAULT)}]" in line


def test_conf_without_events_declares_every_label_and_relation(tmp_path):
    from dataclasses import replace

    from newsgold.annotate.export.to_brat import conf_text

    schema = load_schema(None)
    (tmp_path / "annotation.conf").write_text(conf_text(replace(schema, event_trigger=None)))
    conf = read_conf(tmp_path / "annotation.conf")
    assert conf.entities == set(schema.label_names) and conf.relations == set(schema.relation_ends)
    assert conf.events == {}


def test_what_brat_cannot_write_is_one_line():
    from dataclasses import replace

    from newsgold.annotate.export.to_brat import ann_lines

    schema = load_schema(None)
    span = {"start": 0, "end": 2, "text": "ab"}
    row = {
        "id": "d",
        "text": "ab cd ef",
        "relations": [],
        "spans": [
            {**span, "id": "e", "label": "ACTION"},
            {"id": "a", "start": 3, "end": 5, "label": "ACTOR"},
            {"id": "b", "start": 6, "end": 8, "label": "ACTOR"},
        ],
    }
    renamed = replace(
        schema, relations=tuple(replace(r, name="agent1") if r.name == "agent" else r for r in schema.relations)
    )
    trigger = {**span, "id": "e", "label": "ACTION"}
    row["events"] = [{"id": "e", "trigger": trigger, "agent1": [{"id": "a"}], "place": [], "quantity": []}]
    assert ann_lines(row, renamed)[0][-1] == "E1\tACTION:T1 agent1:T2"  # one argument: unambiguous
    row["events"][0]["agent1"].append({"id": "b"})
    with pytest.raises(ExportError, match="role 'agent1' has several arguments"):
        ann_lines(row, renamed)
    with pytest.raises(ExportError, match="only line breaks"):
        ann_lines(
            {
                "id": "d",
                "text": "a\n\nb",
                "spans": [{"id": "x", "start": 1, "end": 3, "label": "ACTOR"}],
                "relations": [],
            },
            schema,
        )
