"""`annotate --help` lists the whole typical flow, and each command line it shows is valid."""

import shlex

from click.testing import CliRunner

from newsgold.annotate.cli import cli as annotate_cli
from tests.test_readme import test_readme_example_matches_help as check_line

STEPS = [
    "annotate push",
    "annotate export",
    "train fit",
    "train predict",
    "annotate push --predictions",
    "annotate status",
    "annotate agreement",
    "annotate adjudicate",
    "annotate loop",
    "--overlap",
]


def help_text() -> str:
    result = CliRunner().invoke(annotate_cli, ["--help"])
    assert result.exit_code == 0
    return result.output


def test_help_names_each_step_in_order():
    text = help_text()
    positions = [text.find(step) for step in STEPS]
    assert -1 not in positions, [s for s, p in zip(STEPS, positions) if p == -1]
    assert positions[:5] == sorted(positions[:5]), "push -> export -> fit -> predict -> push --predictions"


def test_help_command_lines_are_valid():
    lines = [line.strip().split("  ")[0] for line in help_text().splitlines()]
    lines = [line for line in lines if line.split(" ", 1)[0] in ("annotate", "train") and len(shlex.split(line)) > 1]
    assert len(lines) >= 10
    for line in lines:
        check_line(line)
