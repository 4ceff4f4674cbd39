"""`annotate check` re-checks the `events` column (issue 22): every row's `events` must be what
`events_of` builds from its spans and relations; a tampered column is one error line naming the
split, the document and the difference, and the check exits 1."""

import shutil

import pytest
from click.testing import CliRunner

from newsgold.annotate.check import check_dataset
from newsgold.annotate.cli import cli
from newsgold.annotate.export import export_dataset
from tests.test_events import gold_file

RELATIONS = [
    {"head": "e1", "tail": "a1", "label": "agent"},
    {"head": "e1", "tail": "c1", "label": "quantity"},
    {"head": "c1", "tail": "a1", "label": "counts"},
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("check_events")
    export_dataset(tmp / "ds", from_file=gold_file(tmp, RELATIONS))
    return tmp / "ds"


def add_argument(events, spans):
    place = next(s for s in spans if s["text"] == "Tajikistan")
    events[0]["place"].append({k: place[k] for k in ("id", "start", "end", "label", "text")})


def rename_role(events, spans):
    for record in events:
        record["actor"] = record.pop("agent")


def drop_record(events, spans):
    del events[1]


def change_text(events, spans):
    events[0]["agent"][0]["text"] = "Afghan troops"


def drop_link(events, spans):
    events[0]["quantity"][0]["counts"] = []


def swap_records(events, spans):
    events.reverse()


TAMPERINGS = [
    (add_argument, "event 'fled' (e1) place is ['Tajikistan'], the relations give []"),
    (
        rename_role,
        "event 'fled' (e1) has 'actor', which no relation of the schema builds; "
        "event 'fled' (e1) lacks 'agent'; event 'crossed' (e2) has 'actor', which no relation of the schema "
        "builds; event 'crossed' (e2) lacks 'agent'",
    ),
    (drop_record, "lacks the event of 'crossed' (e2)"),
    (
        change_text,
        "event 'fled' (e1) agent[0] 'Afghan soldiers' text is 'Afghan troops', the relations give 'Afghan soldiers'",
    ),
    (drop_link, "event 'fled' (e1) quantity[0] 'Thousands' counts is [], the relations give ['Afghan soldiers']"),
    (swap_records, "holds the events out of span order"),
]


def tampered_copy(source, out, tamper):
    """A copy of the dataset at `source` with the events of one row of its train split tampered."""
    from datasets import DatasetDict, Features, List, load_from_disk

    dataset = load_from_disk(str(source))
    parts = {}
    victim = None
    for name, part in dataset.items():
        rows = part.to_list()
        features = part.features
        if name == "train":
            victim = rows[0]["id"]
            tamper(rows[0]["events"], rows[0]["spans"])
            if tamper is rename_role:  # the column's type changes with the role's name
                for row in rows[1:]:
                    rename_role(row["events"], row["spans"])
                inner = {("actor" if k == "agent" else k): v for k, v in features["events"].feature.items()}
                features = Features({**features, "events": List(inner)})
        parts[name] = part.from_list(rows, features=features) if rows else part
    DatasetDict(parts).save_to_disk(str(out), num_shards={name: 1 for name in parts})
    for extra in ("README.md", "problems.jsonl"):
        if (source / extra).exists():
            shutil.copy(source / extra, out / extra)
    return victim


def test_an_exported_dataset_passes_the_events_check(exported):
    report = check_dataset(exported)
    assert report.ok, report.errors
    assert not any("events" in w for w in report.warnings)


@pytest.mark.parametrize("tamper, difference", TAMPERINGS, ids=[t.__name__ for t, _ in TAMPERINGS])
def test_a_tampered_events_column_is_one_error_line_naming_split_row_and_difference(
    exported, tmp_path, tamper, difference
):
    victim = tampered_copy(exported, tmp_path / "ds", tamper)
    report = check_dataset(tmp_path / "ds")
    flagged = [e for e in report.errors if "events column" in e]
    if tamper is rename_role:  # every row of train carries the renamed role: each is one line
        assert len(flagged) == sum(1 for e in report.errors if e.startswith("train: "))
        flagged = [e for e in flagged if f"document {victim} " in e]
    assert flagged == [
        f"train: document {victim} events column {difference}; it is built from the spans and relations: export again"
    ]
    assert report.errors == flagged or tamper is rename_role
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "ds")])
    assert result.exit_code == 1
    assert f"error: {flagged[0]}" in result.output.splitlines()


def test_a_dataset_without_the_events_column_fails_the_check(exported, tmp_path):
    from datasets import load_from_disk

    dataset = load_from_disk(str(exported)).remove_columns("events")
    dataset.save_to_disk(str(tmp_path / "ds"), num_shards={name: 1 for name in dataset})
    shutil.copy(exported / "README.md", tmp_path / "ds" / "README.md")
    errors = check_dataset(tmp_path / "ds").errors
    assert sorted(errors) == sorted(
        f"{name}: no events column, which the schema's [events] asks for; export again" for name in dataset
    )
