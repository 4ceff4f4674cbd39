"""Issue 20, class 5 (Label Studio exports): inputs of the wrong shape. A task, annotation or
region whose fields have types Label Studio never writes is never read as gold and never a
traceback: a task of the wrong shape (`studio.tasks.task_fault`, checked as `formats.labelstudio` parses each
task, in every converting process) is left out and listed in problems.jsonl naming the task,
its document and the field; a region of the wrong shape is left out and listed; a file that
cannot be parsed into tasks (nested too deeply, a task that is not an object) is refused with
one line and nothing written. `annotate check` (and `train fit`) on a dataset whose files are
damaged: one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.kit import assert_ok, assert_refused, digests, invoke

TEXT = "About 300 Afghan soldiers fled to Tajikistan on Monday."
WORDS = {"COUNT": "300", "ACTOR": "Afghan soldiers", "ACTION": "fled", "LOCATION": "Tajikistan"}
IDS = {"COUNT": "c", "ACTOR": "a", "ACTION": "f", "LOCATION": "l"}
HUGE = 10**30


def region(label: str, rid: str, word: str | None = None) -> dict:
    word = word or WORDS[label]
    start = TEXT.index(word)
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": start + len(word), "text": word, "labels": [label]},
    }


def good_result() -> list[dict]:
    return [region(label, IDS[label]) for label in WORDS] + [
        {"type": "relation", "from_id": "f", "to_id": "a", "direction": "right", "labels": ["agent"]}
    ]


def task(k: int, result: list | None = None) -> dict:
    return {
        "id": k,
        "data": {"text": f"{TEXT} Case {k}.", "newsgold_id": f"d{k}", "story_id": f"s{k}"},
        "annotations": [
            {
                "id": k,
                "completed_by": 1,
                "was_cancelled": False,
                "ground_truth": False,
                "updated_at": "2026-01-01T00:00:00Z",
                "created_at": "2026-01-01T00:00:00Z",
                "result": good_result() if result is None else result,
            }
        ],
    }


WRONG = ["text", 5, 1.5, True, [], {}, [1, 2]]  # values of every JSON type but null


def wrong_for(kinds: tuple) -> list:
    """The values in WRONG of none of `kinds` (ints within kinds exclude booleans)."""

    def fits(value) -> bool:
        return isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)

    return [value for value in WRONG if not fits(value)]


def task_mutations() -> list[tuple[str, object, str]]:
    """(name, how to spoil a task, the field it names)."""
    found = []

    def at(path: tuple, value):
        def spoil(t: dict) -> None:
            target = t
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return spoil

    fields = [
        (("id",), (int, str)),
        (("data",), (dict,)),
        (("data", "newsgold_id"), (int, str)),
        (("data", "story_id"), (str,)),
        (("data", "source"), (str,)),
        (("annotations",), (list,)),
    ]
    fields += [(("annotations", 0), (dict,))]
    fields += [
        (("annotations", 0, name), kinds)
        for name, kinds in [
            ("result", (list,)),
            ("was_cancelled", (bool,)),
            ("ground_truth", (bool,)),
            ("completed_by", (int, str, dict)),
            ("updated_at", (str,)),
            ("created_at", (str,)),
            ("id", (int, str)),
        ]
    ]
    for path, kinds in fields:
        field = ".".join(str(p) for p in path).replace("annotations.0", "annotations[1]")
        # a document id is an id of any size (documents.normalize_id); any other integer fits 64 bits
        huge = [HUGE] if int in kinds and path != ("data", "newsgold_id") else []
        for value in wrong_for(kinds) + huge:
            found.append((f"{field}={value!r}", at(path, value), field))
    return found


def region_mutations() -> list[tuple[str, object, str]]:
    """(name, a hostile region over "Monday", the kind of problem listed)."""

    def hostile(**change) -> dict:
        found = region("ACTOR", "h", "Monday")
        value = found["value"]
        for key, new in change.items():
            (value if key in ("start", "end", "text", "labels") else found)[key] = new
        return found

    found = [(f"region={value!r}", value, "not-a-span") for value in ["x", 5, None, [1]]]
    found += [(f"value={value!r}", hostile(value=value), "bad-shape") for value in ["v", 5, [], None, True]]
    for side in ("start", "end"):
        found += [
            (f"{side}={value!r}", hostile(**{side: value}), "bad-offsets")
            for value in [1.5, True, False, -1, HUGE, -HUGE, "abc", "²", None, [], {}, float("nan"), float("inf")]
        ]
    found += [
        (f"labels={value!r}", hostile(labels=value), "multi-label")
        for value in ["ACTOR", 5, {"a": 1}, [], ["ACTOR", "ACTION"]]
    ]
    found += [
        ("labels=[5]", hostile(labels=[5]), "unknown-label"),
        ("text=5", hostile(text=5), "offset-mismatch"),
        ("from_name=5", hostile(from_name=5), "unknown-control"),
        ("type=5", hostile(type=5), "not-a-span"),
    ]
    relation = {"type": "relation", "from_id": "f", "to_id": "a", "direction": "right", "labels": ["agent"]}
    found += [
        (f"relation labels={value!r}", {**relation, "labels": value}, "unlabeled-relation")
        for value in ["agent", [5], [], 5, {"agent": 1}]
    ]
    found += [
        (f"relation direction={value!r}", {**relation, "direction": value}, "bad-shape") for value in [5, "up", [], {}]
    ]
    found += [
        (f"relation from_id={value!r}", {**relation, "from_id": value}, "broken-relation")
        for value in [{}, [], None, HUGE]
    ]
    return found


TASKS, REGIONS = task_mutations(), region_mutations()


def shapes_file(path: Path) -> tuple[Path, dict[int, str], dict[int, tuple[str, str]]]:
    """An export whose task k is spoiled one way: task ids -> field named, -> (region case, kind)."""
    tasks, spoiled, hostile = [task(1)], {}, {}
    for name, spoil, field in TASKS:
        tasks.append(task(len(tasks) + 1))
        spoil(tasks[-1])
        spoiled[len(tasks)] = field
    for name, bad, kind in REGIONS:
        result = good_result()
        if isinstance(bad, dict) and bad.get("type") == "relation":
            result = result[:-1]  # the hostile relation replaces the good one
        tasks.append(task(len(tasks) + 1, result + [bad]))
        hostile[len(tasks)] = (name, kind)
    tasks.append(task(len(tasks) + 1))
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path, spoiled, hostile


def dataset_rows(out: Path) -> dict[str, dict]:
    from datasets import load_from_disk

    return {row["id"]: row for split in load_from_disk(str(out)).values() for row in split}


def listed(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "problems.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_cases_cover_every_field_the_export_reads():
    assert {field for *_, field in TASKS} >= {
        "id",
        "data",
        "data.newsgold_id",
        "data.story_id",
        "annotations",
        "annotations[1]",
        "annotations[1].result",
    }
    assert len(TASKS) > 40 and len(REGIONS) > 50


@pytest.mark.parametrize("workers", [1, 2])
def test_tasks_and_regions_of_the_wrong_shape_are_listed_and_left_out(tmp_path, workers):
    from newsgold.annotate.formats.labelstudio import task_regions

    source, spoiled, hostile = shapes_file(tmp_path / "export.json")
    if workers > 1:
        assert len(task_regions(source, workers)) == workers
    out = tmp_path / "ds"
    result = assert_ok(invoke(["annotate", "export", "--from", source, "--out", out, "--workers", workers]))
    assert "one process" not in result.output, result.output
    rows, problems = dataset_rows(out), listed(out)
    ids = {row["id"] for row in rows.values()}
    for k, field in spoiled.items():
        doc = f"d{k}"
        assert doc not in ids, f"task {k} ({field} spoiled) was exported"
        # named by its document, or by its task id where the document id is the field spoiled
        mine = [p for p in problems if p["kind"] == "bad-shape" and p["document"] in (doc, str(k))]
        assert len(mine) == 1 and mine[0]["field"] == field, (k, field, mine)
        assert field in mine[0]["detail"]
        if field != "id":  # a task id that is no id cannot name the task: its document does
            assert mine[0]["task_id"] == k and mine[0]["detail"].startswith(f"task {k}")
        else:
            assert mine[0]["detail"].startswith("a task with id") and doc in mine[0]["detail"]
    for k, (name, kind) in hostile.items():
        row = rows[f"d{k}"]  # the task is exported, without its hostile region
        assert "h" not in {s["id"] for s in row["spans"]} and len(row["spans"]) == 4, (name, row["spans"])
        if name.startswith("relation"):
            assert row["relations"] == [], name
        else:
            assert row["relations"] == [{"head": "f", "tail": "a", "label": "agent"}], name
        kinds = [p["kind"] for p in problems if p["task_id"] == k]
        assert kinds == [kind], (name, kinds)
    assert {"d1", f"d{len(spoiled) + len(hostile) + 2}"} <= ids  # the good tasks around them


def test_the_problems_do_not_depend_on_the_number_of_processes(tmp_path):
    source, _, _ = shapes_file(tmp_path / "export.json")
    for workers in (1, 2):
        assert_ok(
            invoke(["annotate", "export", "--from", source, "--out", tmp_path / f"ds{workers}", "--workers", workers])
        )
    assert (tmp_path / "ds1" / "problems.jsonl").read_bytes() == (tmp_path / "ds2" / "problems.jsonl").read_bytes()


DEEP = 100_000  # levels of nesting: beyond any recursion limit


def unusable() -> list[tuple[str, str, str]]:
    """(name, the export file's text, what the refusal names)."""
    good = json.dumps(task(1))
    nested = "[" * DEEP + "]" * DEEP
    deep_data = json.dumps(task(2)).replace('"story_id": "s2"', f'"story_id": "s2", "meta": {nested}')
    deep_value = json.dumps(task(2)).replace('"labels": ["COUNT"]', f'"labels": {nested}')
    found = [
        ("deep-task", f"[{good}, {nested}]", "task 2"),
        ("deep-data", f"[{good}, {deep_data}]", "task 2"),
        ("deep-region", f"[{good}, {deep_value}]", "task 2"),
        ("deep-array", f"[{nested}]", "task 1"),
        ("deep-object", '[{"a": ' * 50_000 + "1" + "}" * 50_000 + "]", "task 1"),
    ]
    found += [
        (f"task-{kind}", f"[{good}, {value}]", "task 2")
        for kind, value in [("string", '"x"'), ("number", "5"), ("null", "null"), ("list", "[1]"), ("true", "true")]
    ]
    found += [
        ("truncated", f"[{good}, {good[: len(good) // 2]}", "task 2"),
        ("not-an-array", good, "line 1"),
    ]  # read as JSONL: its line named
    return found


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name,content,names", unusable(), ids=[case[0] for case in unusable()])
def test_an_export_that_is_not_tasks_is_refused_in_one_line(tmp_path, name, content, names, workers):
    source = tmp_path / f"{name}.json"
    filler = ", ".join(json.dumps(task(k)) for k in range(3, 40))  # two processes get a region each
    if content.endswith("]") and name != "not-an-array":
        content = f"{content[:-1]}, {filler}]"
    source.write_text(content, encoding="utf-8")
    before = digests(tmp_path)
    result = invoke(["annotate", "export", "--from", source, "--out", tmp_path / "ds", "--workers", workers])
    assert_refused(result, source.name, names)
    assert digests(tmp_path) == before  # nothing written, nothing left behind


# ---------------------------------------------------------------------------- a damaged dataset


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exported")
    source = folder / "gold.jsonl"
    source.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"g{k}",
                    "text": f"{TEXT} Case {k}.",
                    "story_id": f"s{k % 7}",
                    "spans": [{"start": 26, "end": 30, "label": "ACTION"}],
                }
            )
            + "\n"
            for k in range(60)
        )
    )
    assert_ok(invoke(["annotate", "export", "--from", source, "--out", folder / "ds"]))
    return folder / "ds"


def damages() -> list[tuple[str, object]]:
    def cut(fraction: float | None, keep: int = 0):
        def damage(arrow: Path) -> None:
            data = arrow.read_bytes()
            arrow.write_bytes(data[: keep if fraction is None else int(len(data) * fraction)])

        return damage

    def garbage(name: str):
        def damage(arrow: Path) -> None:
            target = arrow.parent / name if name != "dataset_dict.json" else arrow.parent.parent / name
            target.write_text("{garbage", encoding="utf-8")

        return damage

    def overwrite(arrow: Path) -> None:
        data = bytearray(arrow.read_bytes())
        data[:64] = b"\xff" * 64
        arrow.write_bytes(bytes(data))

    return [
        ("empty", cut(None)),
        ("8-bytes", cut(None, 8)),
        ("100-bytes", cut(None, 100)),
        ("half", cut(0.5)),
        ("last-byte-missing", cut(None, -1)),
        ("header-overwritten", overwrite),
        ("missing", lambda arrow: arrow.unlink()),
        ("state.json", garbage("state.json")),
        ("dataset_info.json", garbage("dataset_info.json")),
        ("dataset_dict.json", garbage("dataset_dict.json")),
    ]


@pytest.mark.parametrize("command", ["annotate check {d}", "train fit {d} --out {d}-model"])
@pytest.mark.parametrize("name,damage", damages(), ids=[case[0] for case in damages()])
def test_a_damaged_dataset_is_refused_in_one_line(tmp_path, exported, name, damage, command):
    import shutil

    dataset = tmp_path / "damaged"
    shutil.copytree(exported, dataset)
    arrows = sorted(dataset.glob("*/data-*.arrow"), key=lambda p: p.stat().st_size)
    damage(arrows[-1])  # the largest split's data
    assert_refused(invoke(command.format(d=dataset)), "damaged")


def test_check_on_a_damaged_problems_file_is_one_line(tmp_path, exported):
    import shutil

    dataset = tmp_path / "damaged"
    shutil.copytree(exported, dataset)
    with open(dataset / "problems.jsonl", "a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    assert_refused(invoke(["annotate", "check", dataset]), "damaged", "problems.jsonl")
