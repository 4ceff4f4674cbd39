"""Issue 20, class 2: option values that cannot mean anything.

Every numeric option of `annotate` and `train` takes a checked type from annotate.clikit
(`checked(name)`, bounds from annotate.limits, or `RATIOS`). The walk below finds every numeric
parameter of every command, so an option added later without a checked type fails here; the
matrix then runs each one with values no option can mean (nan, inf, -inf, out of range, words)
and asserts a refusal of one line naming the option and its range, with nothing written, and
the boundary values accepted. The library API refuses the same values (OptionError)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import click
import pytest

from newsgold.annotate import clikit, limits
from tests.hostile.kit import CLIS, assert_ok, assert_refused, digests, invoke

NUMERIC = (click.types.IntParamType, click.types.FloatParamType)  # int, float, IntRange, FloatRange
NUMBERS = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(\s*,\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)*\s*")


def commands(group: click.Group = None, path: tuple[str, ...] = ()):
    """(prog, command path, command) of every command of both command lines, nested groups too."""
    if group is None:
        for prog, cli in CLIS.items():
            yield from commands(cli, (prog,))
        return
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, path + (name,))
        else:
            yield path + (name,), command


def is_numeric(param: click.Parameter) -> bool:
    """A parameter that takes a number (or numbers): by its type, its default, or a name the
    limits know."""
    if isinstance(param.type, (clikit.Checked, clikit.Ratios) + NUMERIC):
        return True
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return False
    default = param.default
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return True
    if isinstance(default, str) and NUMBERS.fullmatch(default):
        return True
    return param.name in limits.LIMITS or "ratio" in (param.name or "")


def unchecked(group_commands) -> list[str]:
    return [
        f"{' '.join(path)} {param.name}: {param.type!r}"
        for path, command in group_commands
        for param in command.params
        if is_numeric(param) and not isinstance(param.type, (clikit.Checked, clikit.Ratios))
    ]


NUMERIC_PARAMS = [
    (path, command, param) for path, command in commands() for param in command.params if is_numeric(param)
]


def test_every_numeric_parameter_has_a_checked_type():
    assert unchecked(commands()) == []
    found = {(" ".join(path), param.name) for path, _, param in NUMERIC_PARAMS}
    # the walk finds them (a walk that found nothing would pass the line above)
    assert {
        ("train fit", "c1"),
        ("train fit", "c2"),
        ("train curve", "steps"),
        ("annotate server", "port"),
        ("annotate export", "ratios"),
        ("annotate export", "seed"),
        ("annotate documents", "story_threshold"),
        ("annotate push", "batch_size"),
        ("annotate check", "show"),
    } <= found
    for _, _, param in NUMERIC_PARAMS:  # every checked type names bounds the limits state
        assert isinstance(param.type, clikit.Ratios) or param.type.limit in limits.LIMITS


def test_the_walk_flags_a_numeric_option_without_a_checked_type():
    @click.command()
    @click.option("--rate", type=float, default=0.5)
    @click.option("--tries", type=click.IntRange(1, 9), default=3)
    @click.option("--share", default="0.5,0.5")
    @click.option("--port", default=None)
    @click.option("--name", default="x")
    @click.option("--fast", is_flag=True)
    def careless(rate, tries, share, port, name, fast):
        pass

    flagged = unchecked([(("careless",), careless)])
    assert [line.split(":")[0] for line in flagged] == [
        "careless rate",
        "careless tries",
        "careless share",
        "careless port",
    ]


# ---------------------------------------------------------------------------- the matrix
def hostile(param: click.Parameter) -> list[str]:
    """Values the parameter cannot mean."""
    if isinstance(param.type, clikit.Ratios):
        return [
            "nan,1,1",
            "0.5,nan,0.5",
            "inf,0,0",
            "-inf,1,1",
            "1e400,0,0",
            "-1,1,1",
            "0,0.5,0.5",
            "0,0,0",
            "0,0,1",
            "0.5,0.5",
            "0.5,0.25,0.125,0.125",
            "0.9,0.2,0.1",
            "2,-0.5,-0.5",
            "a,b,c",
            "",
            ",,",
            "0.8;0.1;0.1",
        ]
    bound = param.type.bound
    values = [
        "nan",
        "NaN",
        "inf",
        "-inf",
        "+inf",
        "1e400",
        "-1e400",
        "abc",
        "",
        "1,5",
        "10**3",
        str(10**30),
        "-" + str(10**30),
        "1e30",
    ]
    step = 1 if bound.kind is int else max(abs(bound.high - bound.low) / 1000, 1e-9)
    values.append(str(bound.low if bound.low_open else bound.low - step))
    values.append(str(bound.high if bound.high_open else bound.high + step))
    values.append(str(bound.high * 10 + 1))
    if bound.low > -1:
        values.append("-1")
    if bound.low > 0 or bound.low_open:
        values.append("0")
    if bound.kind is int:
        values += ["1.5", "2.0", "1e3", "0x10"]
    return list(dict.fromkeys(values))


def valid(param: click.Parameter) -> list[tuple[str, object]]:
    """Boundary values the parameter takes, with what it takes them as."""
    if isinstance(param.type, clikit.Ratios):
        return [
            ("1,0,0", (1.0, 0.0, 0.0)),
            ("0.7,0.2,0.1", (0.7, 0.2, 0.1)),
            (" 0.5 , 0.5 , 0 ", (0.5, 0.5, 0.0)),
            ("1e-9,0.5,0.499999999", (1e-9, 0.5, 0.499999999)),
        ]
    bound = param.type.bound
    values = [] if bound.low_open else [bound.low]
    values += [] if bound.high_open else [bound.high]
    if bound.low_open:
        values.append(bound.low + (1 if bound.kind is int else 1e-9))
    return [(str(v), bound.kind(v)) for v in values]


def argv(
    path: tuple[str, ...], command: click.Command, tested: click.Parameter, value: str | None, tmp: Path
) -> list[str]:
    """A command line that is valid but for `tested`: existing inputs for the arguments, new
    paths in `tmp` for required outputs, `value` for the tested parameter (None: left out)."""
    options, arguments = [], []
    for param in command.params:
        if param is tested and value is None:
            continue
        if param is tested:
            if isinstance(param, click.Argument):
                arguments.append(value)
            else:
                options.append(f"{max(param.opts, key=len)}={value}")
            continue
        if not (isinstance(param, click.Argument) or param.required):
            continue
        if isinstance(param.type, click.Path):
            if isinstance(param, click.Argument) and param.type.file_okay:
                given = tmp / "in" / "docs.jsonl"
            elif isinstance(param, click.Argument):
                given = tmp / "in"
            else:
                given = tmp / "out" / ("output.jsonl" if param.type.file_okay else "folder")
        else:
            given = "newsgold hostile"
        if isinstance(param, click.Argument):
            arguments.append(str(given))
        else:
            options += [max(param.opts, key=len), str(given)]
    return [*path, *options, "--", *arguments]


@pytest.fixture
def place(tmp_path, monkeypatch):
    """Inputs the commands can read, and a Label Studio no command may reach."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "docs.jsonl").write_text(
        "".join(json.dumps({"text": f"Report {i}: soldiers fled to Kabul."}) + "\n" for i in range(3))
    )
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")  # the discard port: nothing answers
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-a-key")
    monkeypatch.setenv("NEWSGOLD_LS_DIR", str(tmp_path / "ls"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


MATRIX = [
    pytest.param(path, command, param, value, id=f"{' '.join(path)} {param.name}={value!r}")
    for path, command, param in NUMERIC_PARAMS
    for value in hostile(param)
]


@pytest.mark.parametrize("path, command, param, value", MATRIX)
def test_a_value_that_cannot_mean_anything_is_refused_before_any_work(place, path, command, param, value):
    before = digests(place)
    result = invoke(argv(path, command, param, value, place))
    name = param.opts[-1] if isinstance(param, click.Option) else param.human_readable_name
    line = assert_refused(result, name)
    assert result.exit_code == 2, result.output  # a usage error, before the command ran
    if isinstance(param.type, clikit.Checked):
        bound = param.type.bound
        assert limits._number(bound.low) in line and limits._number(bound.high) in line, line
    else:
        assert "sum to 1" in line, line
    assert digests(place) == before  # nothing written, nothing created
    if isinstance(param, click.Option) and param.envvar:  # the same value from the environment
        for envvar in [param.envvar] if isinstance(param.envvar, str) else param.envvar:
            assert_refused(invoke(argv(path, command, param, None, place), env={envvar: value}), name)


VALID = [
    pytest.param(path, command, param, value, taken, id=f"{' '.join(path)} {param.name}={value!r}")
    for path, command, param in NUMERIC_PARAMS
    for value, taken in valid(param)
]


@pytest.mark.parametrize("path, command, param, value, taken", VALID)
def test_a_boundary_value_is_taken(place, path, command, param, value, taken):
    words = argv(path, command, param, value, place)
    context = command.make_context(" ".join(path), words[len(path) :])
    assert context.params[param.name] == taken
    assert type(context.params[param.name]) is type(taken)


@pytest.mark.parametrize(
    "path, command, param", [pytest.param(*p, id=f"{' '.join(p[0])} {p[2].name}") for p in NUMERIC_PARAMS]
)
def test_the_default_is_within_the_bounds(path, command, param):
    if param.default is not None:
        assert param.type.convert(param.default, param, None) is not None


# ---------------------------------------------------------------------------- the library API
API_BAD = [float("nan"), float("inf"), -float("inf"), -1, 10**30, -(10**30), True, "nan", "abc", "1.5", [1]]


@pytest.mark.parametrize("name", sorted(limits.LIMITS))
@pytest.mark.parametrize("value", API_BAD, ids=repr)
def test_the_api_refuses_what_the_option_refuses(name, value):
    bound = limits.LIMITS[name]
    if bound.accepts(value):  # e.g. -1 where negative numbers mean something
        return
    with pytest.raises(limits.OptionError, match=re.escape(name)) as refused:
        limits.check(name, value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("name", sorted(limits.LIMITS))
def test_the_api_takes_the_boundary_values(name):
    bound = limits.LIMITS[name]
    for value in ([] if bound.low_open else [bound.low]) + ([] if bound.high_open else [bound.high]):
        assert limits.check(name, value) == value and type(limits.check(name, value)) is bound.kind
    assert limits.check(name, None) is None
    if bound.kind is int:
        with pytest.raises(limits.OptionError):
            limits.check(name, bound.low + 0.5)


def test_api_functions_check_before_reading_anything(tmp_path):
    """Each API function refuses a meaningless number before it reads a path or calls a server
    (the paths here do not exist; the server is not there)."""
    from newsgold.annotate import api
    from newsgold.annotate.export import ExportError, export_dataset
    from newsgold.annotate.studio import server
    from newsgold.train import api as train_api
    from newsgold.train.curve import learning_curve

    missing = tmp_path / "missing"
    calls = [
        (lambda: train_api.fit(missing, tmp_path / "m", c1=float("nan")), "c1"),
        (lambda: train_api.fit(missing, tmp_path / "m", c2=float("inf")), "c2"),
        (lambda: train_api.fit(missing, tmp_path / "m", c1=-1), "c1"),
        (lambda: learning_curve(missing, tmp_path / "c", steps=0), "steps"),
        (lambda: learning_curve(missing, tmp_path / "c", steps=1000), "steps"),
        (lambda: api.load_documents([missing], story_threshold=float("nan")), "story_threshold"),
        (lambda: api.preannotate_documents([missing], tmp_path / "o.jsonl", story_threshold=2), "story_threshold"),
        (lambda: api.push_documents([missing], "news desk", batch_size=0), "batch_size"),
        (lambda: api.push_predictions(missing, "news desk", batch_size=10**9), "batch_size"),
        (lambda: server.start(tmp_path / "ls", port=70000), "port"),
    ]
    for call, name in calls:
        with pytest.raises(limits.OptionError, match=name):
            call()
    for kwargs, name in [
        ({"ratios": (float("nan"), 1, 1)}, "ratios"),
        ({"ratios": (0, 0.5, 0.5)}, "ratios"),
        ({"seed": -1}, "seed"),
        ({"workers": 0}, "workers"),
        ({"max_story": 0}, "max_story"),
        ({"story_threshold": float("nan")}, "story_threshold"),
    ]:
        with pytest.raises(ExportError, match=name):
            export_dataset(tmp_path / "ds", from_file=missing, **kwargs)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- boundaries that run
def write_gold(path: Path, documents: int) -> Path:
    """Gold JSONL: `documents` short reports, each its own story, ACTOR and LOCATION drawn."""
    actors, places = ["Soldiers", "Fighters", "Officials", "Police", "Rebels"], ["Kabul", "Kunduz", "Herat", "Mosul"]
    lines = []
    for i in range(documents):
        actor, place = actors[i % len(actors)], places[i % len(places)]
        text = f"{actor} entered {place} on day {i}."
        start = text.index(place)
        lines.append(
            json.dumps(
                {
                    "id": f"doc-{i}",
                    "text": text,
                    "story_id": f"story-{i}",
                    "spans": [
                        {"start": 0, "end": len(actor), "label": "ACTOR"},
                        {"start": start, "end": start + len(place), "label": "LOCATION"},
                    ],
                    "relations": [],
                    "annotated_labels": ["ACTOR", "LOCATION"],
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_boundaries_run(tmp_path):
    gold = write_gold(tmp_path / "gold.jsonl", 12)
    everything = tmp_path / "all-train"
    assert_ok(invoke(["annotate", "export", "--from", gold, "--out", everything, "--ratios", "1,0,0", "--seed", "0"]))
    counts = json.loads((everything / "dataset_dict.json").read_text())["splits"]
    assert counts == ["train", "validation", "test"]
    from newsgold.annotate.dataset import load_split

    assert len(load_split(everything, "train").tokens) == 12
    texts = tmp_path / "texts.jsonl"  # near copies without story ids: one story at the default threshold
    words = "morning evening noon dawn dusk midnight Monday Tuesday Friday Sunday winter summer".split()
    report = "Soldiers of the national army entered Kabul from the northern road after heavy fighting near the market"
    texts.write_text("".join(json.dumps({"text": f"{report} at {word}."}) + "\n" for word in words))
    stories = {}
    for threshold in ("1", "0.4", "1e-9"):
        docs = tmp_path / f"docs-{threshold}.jsonl"
        assert_ok(invoke(["annotate", "documents", texts, "-o", docs, "--story-threshold", threshold]))
        stories[threshold] = len({json.loads(line)["story_id"] for line in docs.read_text().splitlines()})
    assert stories["1"] == 12 and stories["0.4"] < 12 and stories["1e-9"] == 1


def test_a_curve_with_more_steps_than_documents_fits_each_size_once(tmp_path):
    gold = write_gold(tmp_path / "gold.jsonl", 8)
    dataset = tmp_path / "ds"
    assert_ok(invoke(["annotate", "export", "--from", gold, "--out", dataset, "--ratios", "0.5,0.5,0"]))
    from newsgold.annotate.dataset import load_split

    train = len(load_split(dataset, "train").tokens)
    assert 0 < train < 50
    result = assert_ok(invoke(["train", "curve", dataset, "--out", tmp_path / "curve", "--steps", "50"]))
    points = json.loads((tmp_path / "curve" / "curve.json").read_text())
    assert [p["documents"] for p in points] == list(range(1, train + 1))
    assert all(math.isfinite(p["f1"]) for p in points) and result.output.count("documents:") == train


def test_curve_sizes_are_distinct_increasing_and_end_at_every_document():
    from newsgold.train.curve import curve_sizes

    for documents in range(1, 80):
        for steps in range(1, 51):
            sizes = curve_sizes(documents, steps)
            assert sizes == sorted(set(sizes)) and sizes[-1] == documents and sizes[0] >= 1
            assert len(sizes) == min(steps, documents)
    assert curve_sizes(0, 5) == []
