"""Events as records (issue 22): the schema's `[events]`, `events_of` on hand-built documents,
the `events` column of an export (HF, JSONL, Parquet), typed from the schema, built only from
relations that pass the relation validator, counted in the card and worked through in the
guidelines."""

import json
import re

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.dataset import columns, features
from newsgold.annotate.errors import SchemaError
from newsgold.annotate.events import events_of, example_document
from newsgold.annotate.export import export_dataset
from newsgold.annotate.schema import guidelines_markdown, load_schema
from newsgold.annotate.spans import Relation, Span
from newsgold.annotate.studio.lsformat import to_ls_result

SCHEMA = load_schema()
SCHEMA_TOML = SCHEMA.path.read_text()
EVENTS_SECTION = SCHEMA_TOML[SCHEMA_TOML.index("[events]") :]
WITHOUT_EVENTS = SCHEMA_TOML.replace(EVENTS_SECTION, "")
MAIN_HASH = "a58f3aad2fb74e63"  # the schema's hash before [events]: events are not hashed

TEXT = "Thousands of Afghan soldiers fled to Tajikistan and 20 officials crossed the border."


def span(sid, text, label, nth=0, within=TEXT):
    start = -1
    for _ in range(nth + 1):
        start = within.index(text, start + 1)
    return Span(start, start + len(text), label, text, id=sid)


SPANS = [
    span("c1", "Thousands", "COUNT"),
    span("a1", "Afghan soldiers", "ACTOR"),
    span("e1", "fled", "ACTION"),
    span("l1", "Tajikistan", "LOCATION"),
    span("c2", "20", "COUNT"),
    span("a2", "officials", "ACTOR"),
    span("e2", "crossed", "ACTION"),
]


def schema_file(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    (tmp_path / "guidelines.md").write_text("# g\n")
    return path


def brief(record):
    """An event record by texts: trigger, then per role the argument texts (with their links)."""
    out = {"trigger": record["trigger"]["text"]}
    for key, found in record.items():
        if key not in ("id", "trigger"):
            out[key] = [
                (
                    a["text"],
                    {
                        k: [s["text"] for s in v]
                        for k, v in a.items()
                        if k not in ("id", "start", "end", "label", "text")
                    },
                )
                for a in found
            ]
    return out


# ---------------------------------------------------------------------------- the schema


def test_the_schema_names_the_trigger_roles_and_links_and_keeps_its_hash(tmp_path):
    assert SCHEMA.event_trigger == "ACTION"
    assert [r.name for r in SCHEMA.event_roles] == ["agent", "place", "quantity"]
    assert [(r.head, r.tail) for r in SCHEMA.event_roles] == [
        ("ACTION", "ACTOR"),
        ("ACTION", "LOCATION"),
        ("ACTION", "COUNT"),
    ]
    assert SCHEMA.argument_links == {"COUNT": ["counts"]}
    without = load_schema(schema_file(tmp_path, WITHOUT_EVENTS))
    assert SCHEMA.hash == without.hash == MAIN_HASH
    other_example = load_schema(
        schema_file(tmp_path, SCHEMA_TOML.replace('place = "Tajikistan"', 'place = "Sunday"'), "o.toml")
    )
    assert other_example.hash == MAIN_HASH and other_example.event_example != SCHEMA.event_example
    assert json.loads(CliRunner().invoke(cli, ["schema", "--format", "json"]).stdout)["events"]["trigger"] == "ACTION"


def test_a_schema_without_events_has_no_events_column_and_no_worked_example(tmp_path):
    schema = load_schema(schema_file(tmp_path, WITHOUT_EVENTS))
    assert schema.event_trigger is None and schema.event_roles == () and schema.argument_links == {}
    assert "events" not in columns(schema) and "events" not in features(schema)
    assert events_of(SPANS, [Relation("e1", "a1", "agent")], schema) == []
    assert "worked through" not in guidelines_markdown(schema)
    assert "worked through" in guidelines_markdown(SCHEMA)
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps(
            {
                "id": "d1",
                "text": TEXT,
                "story_id": "s1",
                "spans": [s.to_dict() for s in SPANS],
                "relations": [{"head": "e1", "tail": "a1", "label": "agent"}],
            }
        )
        + "\n"
    )
    export_dataset(tmp_path / "ds", from_file=gold, schema=schema)
    row = json.loads(next(p for p in (tmp_path / "ds" / "jsonl").glob("*.jsonl") if p.stat().st_size).read_text())
    assert "events" not in row and row["relations"]
    assert "## Events" not in (tmp_path / "ds" / "README.md").read_text()


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda s: s.replace('trigger = "ACTION"\n', 'trigger = "EVENT"\n', 1),
            r"'events\.trigger' names unknown label 'EVENT'",
        ),
        (
            lambda s: s.replace("[events]\n", '[events]\ntriger = "ACTION"\n'),
            r"'events\.triger' is unknown; did you mean 'trigger'",
        ),
        (lambda s: s.replace('[events]\ntrigger = "ACTION"\n', "[events]\n"), r"'events\.trigger' is missing"),
        (
            lambda s: s.replace('name = "place"', 'name = "trigger"'),
            "relation 'trigger' starts from the trigger ACTION",
        ),
        (lambda s: s.replace('name = "agent"', 'name = "id"'), "relation 'id' starts from the trigger"),
        (
            lambda s: s.replace('name = "counts"', 'name = "text"').replace("\ncounts = ", "\ntext2 = "),
            "relation 'text' starts from COUNT, an argument label",
        ),
        (
            lambda s: s.replace('place = "Tajikistan"', 'place = "Kabul"'),
            r"'events\.example\.place' is 'Kabul', which is not in",
        ),
        (
            lambda s: s.replace('place = "Tajikistan"\n', ""),
            r"'events\.example\.place' is missing; the example shows every role",
        ),
        (lambda s: s.replace('place = "Tajikistan"', "place = 3"), r"'events\.example\.place' must be a text"),
        (lambda s: s.replace('place = "Tajikistan"', 'where = "Tajikistan"'), r"'events\.example\.where' is unknown"),
    ],
)
def test_a_broken_events_table_is_one_line_naming_file_and_key(tmp_path, edit, message):
    path = schema_file(tmp_path, edit(SCHEMA_TOML))
    with pytest.raises(SchemaError, match=message) as info:
        load_schema(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    result = CliRunner().invoke(cli, ["schema", "--schema", str(path)])
    assert result.exit_code == 1 and result.stderr.strip().count("\n") == 0


def test_the_trigger_must_be_a_table_key(tmp_path):
    path = schema_file(tmp_path, 'events = "ACTION"\n' + WITHOUT_EVENTS)
    with pytest.raises(SchemaError, match=r"'events' must be a table"):
        load_schema(path)


# ---------------------------------------------------------------------------- events_of


def test_an_action_without_arguments_is_an_event_with_every_role_empty():
    records = events_of(SPANS, [], SCHEMA)
    assert [r["id"] for r in records] == ["e1", "e2"]
    assert records[0] == {
        "id": "e1",
        "trigger": {"id": "e1", "start": 29, "end": 33, "label": "ACTION", "text": "fled"},
        "agent": [],
        "place": [],
        "quantity": [],
    }


def test_roles_links_and_a_shared_argument():
    relations = [
        Relation("e1", "a1", "agent"),
        Relation("e1", "l1", "place"),
        Relation("e1", "c1", "quantity"),
        Relation("c1", "a1", "counts"),
        Relation("e2", "a1", "agent"),
        Relation("e2", "a2", "agent"),
        Relation("e2", "c2", "quantity"),
        Relation("c2", "a2", "counts"),
    ]
    first, second = events_of(SPANS, relations, SCHEMA)
    assert brief(first) == {
        "trigger": "fled",
        "agent": [("Afghan soldiers", {})],
        "place": [("Tajikistan", {})],
        "quantity": [("Thousands", {"counts": ["Afghan soldiers"]})],
    }
    # a1 is the agent of both events; the arguments come in span order, whatever the relations' order
    assert brief(second) == {
        "trigger": "crossed",
        "agent": [("Afghan soldiers", {}), ("officials", {})],
        "place": [],
        "quantity": [("20", {"counts": ["officials"]})],
    }
    assert first["quantity"][0] == {**SPANS[0].to_dict(), "counts": [SPANS[1].to_dict()]}
    # the same from the rows' dicts, in any order, with a relation repeated
    dicts = [s.to_dict() for s in reversed(SPANS)]
    assert events_of(dicts, [r.to_dict() for r in relations + relations[:2]], SCHEMA) == [first, second]


def test_a_count_linked_by_no_quantity_is_in_no_event():
    records = events_of(SPANS, [Relation("c1", "a1", "counts"), Relation("e1", "a1", "agent")], SCHEMA)
    assert brief(records[0]) == {"trigger": "fled", "agent": [("Afghan soldiers", {})], "place": [], "quantity": []}


@pytest.mark.parametrize(
    "relation",
    [
        Relation("e1", "l1", "agent"),  # wrong label pair
        Relation("a1", "e1", "agent"),  # the wrong way round
        Relation("e1", "a1", "doer"),  # not a relation type of the schema
        Relation("e1", "e1", "agent"),  # to itself
        Relation("e1", "a9", "agent"),  # to no span
        Relation("c1", "l1", "counts"),  # a link to the wrong label
    ],
)
def test_a_relation_that_cannot_hold_is_no_argument(relation):
    relations = [Relation("e1", "c1", "quantity"), relation]
    records = events_of(SPANS, relations, SCHEMA)
    assert brief(records[0]) == {
        "trigger": "fled",
        "agent": [],
        "place": [],
        "quantity": [("Thousands", {"counts": []})],
    }


def test_an_id_two_spans_share_names_neither():
    spans = SPANS + [span("a1", "officials", "ACTOR")]  # a second span with id a1
    records = events_of(spans, [Relation("e1", "a1", "agent")], SCHEMA)
    assert records[0]["agent"] == []


OTHER = """name = "other"
version = "1"
[[labels]]
name = "EVENT"
description = "d"
color = "#000000"
hotkey = "e"
examples = ["attack"]
[[labels]]
name = "WHO"
description = "d"
color = "#000001"
hotkey = "w"
examples = ["rebels"]
[[labels]]
name = "WHEN"
description = "d"
color = "#000002"
hotkey = "t"
[[relations]]
name = "perpetrator"
from = "EVENT"
to = "WHO"
[[relations]]
name = "time"
from = "EVENT"
to = "WHEN"
[[relations]]
name = "member_of"
from = "WHO"
to = "WHO"
[events]
trigger = "EVENT"
"""


def test_a_schema_with_other_relations_gets_other_roles_and_links(tmp_path):
    schema = load_schema(schema_file(tmp_path, OTHER))
    assert [r.name for r in schema.event_roles] == ["perpetrator", "time"]
    assert schema.argument_links == {"WHO": ["member_of"]}
    text = "rebels of the front attack at dawn"
    spans = [
        span("w1", "rebels", "WHO", within=text),
        span("w2", "front", "WHO", within=text),
        span("v1", "attack", "EVENT", within=text),
        span("t1", "dawn", "WHEN", within=text),
    ]
    relations = [Relation("v1", "w1", "perpetrator"), Relation("v1", "t1", "time"), Relation("w1", "w2", "member_of")]
    assert [brief(r) for r in events_of(spans, relations, schema)] == [
        {"trigger": "attack", "perpetrator": [("rebels", {"member_of": ["front"]})], "time": [("dawn", {})]}
    ]
    event = columns(schema)["events"][0]
    assert list(event) == ["id", "trigger", "perpetrator", "time"]
    assert "member_of" in event["perpetrator"][0] and "member_of" not in event["time"][0]
    printed = CliRunner().invoke(cli, ["schema", "--schema", str(tmp_path / "s.toml"), "--format", "features"])
    assert printed.exit_code == 0, printed.output
    typed = json.loads(printed.stdout)["events"]
    assert "perpetrator" in json.dumps(typed) and "agent" not in json.dumps(typed)
    # no [events.example]: the guidelines' example is built from the labels' examples
    guide = guidelines_markdown(schema)
    assert "| perpetrator | `perpetrator` | EVENT `attack` → WHO | `rebels` |" in guide
    assert "| time | `time` | EVENT `attack` → WHEN | `when` |" in guide


def test_the_default_features_type_every_role_and_the_counts_links():
    printed = CliRunner().invoke(cli, ["schema", "--format", "features"])
    event = json.loads(printed.stdout)["events"]
    typed = json.dumps(event)
    for key in ('"trigger"', '"agent"', '"place"', '"quantity"', '"counts"'):
        assert key in typed
    quantity = columns(SCHEMA)["events"][0]["quantity"][0]
    assert "counts" in quantity and "counts" not in columns(SCHEMA)["events"][0]["agent"][0]


# ---------------------------------------------------------------------------- the guidelines


def test_the_guidelines_work_the_schemas_example_through(tmp_path):
    guide = guidelines_markdown(SCHEMA)
    example = SCHEMA.event_example
    assert f"> {example.text}" in guide
    for role in SCHEMA.event_roles:
        found = dict(example.arguments)[role.name][0]
        assert f"| {role.name} | `{role.name}` | ACTION `{example.trigger}` → {role.tail} | `{found}` |" in guide
    shown = json.loads(re.search(r"```json\n(.*?)\n```", guide, re.S).group(1))
    text, spans, relations, trigger = example_document(SCHEMA)
    assert shown == events_of(spans, relations, SCHEMA)[0] and shown["id"] == trigger
    assert text[shown["place"][0]["start"] : shown["place"][0]["end"]] == "Tajikistan"
    assert shown["quantity"][0]["counts"][0]["text"] == "Afghan soldiers"
    # another example in the schema, other guidelines: generated, not written
    edited = SCHEMA_TOML.replace("into Tajikistan", "into Badakhshan").replace(
        'place = "Tajikistan"', 'place = "Badakhshan"'
    )
    other = guidelines_markdown(load_schema(schema_file(tmp_path, edited)))
    assert "`Badakhshan`" in other and "fled into Tajikistan" not in other


def test_the_project_instructions_show_the_worked_example():
    from newsgold.annotate.studio.push import instructions_html

    html = instructions_html(SCHEMA)
    assert "worked through" in html and SCHEMA.event_example.text in html and "&quot;quantity&quot;" in html


# ---------------------------------------------------------------------------- the export


def gold_file(tmp_path, relations, name="gold.jsonl"):
    rows = [
        {
            "id": f"d{i}",
            "text": TEXT,
            "story_id": f"story{i}",
            "spans": [s.to_dict() for s in SPANS],
            "relations": relations,
        }
        for i in range(12)
    ]
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def exported_rows(out):
    import pyarrow.parquet as pq
    from datasets import load_from_disk

    dataset = load_from_disk(str(out))
    by_id = {}
    for split, part in dataset.items():
        lines = [json.loads(line) for line in (out / "jsonl" / f"{split}.jsonl").read_text().splitlines()]
        parquet = pq.read_table(out / "parquet" / f"{split}.parquet").to_pylist()
        assert [r["events"] for r in part] == [r["events"] for r in lines] == [r["events"] for r in parquet]
        by_id.update({r["id"]: (split, r) for r in lines})
    return by_id


def test_events_reach_every_output_and_the_card_counts_them(tmp_path):
    relations = [
        {"head": "e1", "tail": "a1", "label": "agent"},
        {"head": "e1", "tail": "l1", "label": "place"},
        {"head": "e1", "tail": "c1", "label": "quantity"},
        {"head": "c1", "tail": "a1", "label": "counts"},
    ]
    export_dataset(tmp_path / "ds", from_file=gold_file(tmp_path, relations))
    rows = exported_rows(tmp_path / "ds")
    assert len(rows) == 12
    for split, row in rows.values():
        assert row["events"] == events_of(row["spans"], row["relations"], SCHEMA)
        assert [brief(r) for r in row["events"]] == [
            {
                "trigger": "fled",
                "agent": [("Afghan soldiers", {})],
                "place": [("Tajikistan", {})],
                "quantity": [("Thousands", {"counts": ["Afghan soldiers"]})],
            },
            {"trigger": "crossed", "agent": [], "place": [], "quantity": []},
        ]
    assert list(rows["d0"][1])[8:10] == ["relations", "events"]
    card = (tmp_path / "ds" / "README.md").read_text()
    import yaml

    counted = yaml.safe_load(card.split("---")[1])["newsgold"]["events"]
    documents = {split: sum(1 for s, _ in rows.values() if s == split) for split in ("train", "validation", "test")}
    for split, n in documents.items():
        assert counted[split] == {
            "events": 2 * n,
            "without_arguments": n,
            "arguments": {"agent": n, "place": n, "quantity": n},
            "links": {"counts": n},
        }
        assert f"| {split} | {2 * n} | {n} | {n} | {n} | {n} | {n} |" in card
    assert "| split | events | `agent` | `place` | `quantity` | `counts` links | without any argument |" in card


def test_rows_grouped_into_stories_count_their_events_too(tmp_path):
    path = gold_file(tmp_path, [{"head": "e2", "tail": "a2", "label": "agent"}])
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text(
        "".join(json.dumps({**r, "story_id": None, "text": f"{TEXT} Report {i}."}) + "\n" for i, r in enumerate(rows))
    )
    export_dataset(tmp_path / "ds", from_file=path)
    import yaml

    counted = yaml.safe_load((tmp_path / "ds" / "README.md").read_text().split("---")[1])["newsgold"]["events"]
    assert sum(c["events"] for c in counted.values()) == 24
    assert sum(c["arguments"]["agent"] for c in counted.values()) == 12
    assert sum(c["without_arguments"] for c in counted.values()) == 12


def test_an_invalid_relation_never_reaches_the_events(tmp_path):
    bad = [
        {"head": "e1", "tail": "l1", "label": "agent"},  # agent joins ACTION → ACTOR, not LOCATION
        {"head": "c2", "tail": "e2", "label": "counts"},
    ]  # counts joins COUNT → ACTOR
    good = [{"head": "e2", "tail": "a2", "label": "agent"}]
    export_dataset(tmp_path / "ds", from_file=gold_file(tmp_path, bad + good))
    for _, row in exported_rows(tmp_path / "ds").values():
        assert row["relations"] == good
        assert [brief(r) for r in row["events"]] == [
            {"trigger": "fled", "agent": [], "place": [], "quantity": []},
            {"trigger": "crossed", "agent": [("officials", {})], "place": [], "quantity": []},
        ]
    problems = [json.loads(line) for line in (tmp_path / "ds" / "problems.jsonl").read_text().splitlines()]
    assert sum(p["kind"] == "mislabelled-relation" for p in problems) == 24
    check = CliRunner().invoke(cli, ["check", str(tmp_path / "ds")])
    assert check.exit_code == 0, check.output


def test_an_invalid_relation_drawn_in_label_studio_never_reaches_the_events(tmp_path):
    relations = [
        Relation("e1", "l1", "agent"),
        Relation("e1", "a1", "agent"),
        Relation("e2", "c2", "quantity"),
        Relation("c2", "l1", "counts"),
    ]
    tasks = [
        {
            "id": i,
            "data": {"text": TEXT, "story_id": f"s{i}", "newsgold_id": f"d{i}"},
            "annotations": [{"id": i, "completed_by": 1, "result": to_ls_result(TEXT, SPANS, relations, False)}],
        }
        for i in range(1, 4)
    ]
    source = tmp_path / "export.json"
    source.write_text(json.dumps(tasks))
    export_dataset(tmp_path / "ds", from_file=source, workers=1)
    for _, row in exported_rows(tmp_path / "ds").values():
        assert [brief(r) for r in row["events"]] == [
            {"trigger": "fled", "agent": [("Afghan soldiers", {})], "place": [], "quantity": []},
            {"trigger": "crossed", "agent": [], "place": [], "quantity": [("20", {"counts": []})]},
        ]
    kinds = [json.loads(line)["kind"] for line in (tmp_path / "ds" / "problems.jsonl").read_text().splitlines()]
    assert kinds.count("mislabelled-relation") == 6


def test_a_file_converted_in_two_processes_has_the_same_events(tmp_path):
    from newsgold.annotate.formats.labelstudio import task_regions

    long_text = TEXT + " " + "Officials said more." * 400
    relations = [Relation("e1", "a1", "agent"), Relation("e2", "c2", "quantity"), Relation("c2", "a2", "counts")]
    tasks = [
        {
            "id": i,
            "data": {"text": f"{long_text} Report {i}.", "story_id": f"s{i}"},
            "annotations": [{"id": i, "completed_by": 1, "result": to_ls_result(TEXT, SPANS, relations, False)}],
        }
        for i in range(1, 9)
    ]
    source = tmp_path / "export.json"
    source.write_text(json.dumps(tasks))
    assert len(task_regions(source, 2)) == 2
    one = export_dataset(tmp_path / "one", from_file=source, workers=1)
    two = export_dataset(tmp_path / "two", from_file=source, workers=2)
    assert one.event_counts == two.event_counts and sum(c["events"] for c in one.event_counts.values()) == 16
    assert exported_rows(tmp_path / "one") == exported_rows(tmp_path / "two")
