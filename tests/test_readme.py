"""The examples of README.md and docs/*.md: commands and options exist (checked against --help),
the Python blocks run. Each block is named by its file in failures."""

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli as annotate_cli
from newsgold.train.cli import cli as train_cli

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]  # the README first, then docs/
CLIS = {"annotate": annotate_cli, "train": train_cli}


class Block(str):
    """A fenced block's text, knowing the page it came from (for failure messages)."""

    page: str


def blocks(language: str) -> list[Block]:
    """The ```LANGUAGE blocks of every page (indented ones too), in page order."""
    found = []
    for page in PAGES:
        for text in re.findall(rf"^( *)```{language}\n(.*?)^\1```", page.read_text(), re.S | re.M):
            block = Block("\n".join(line[len(text[0]) :] for line in text[1].splitlines()) + "\n")
            block.page = str(page.relative_to(ROOT))
            found.append(block)
    return found


def examples():
    for block in blocks("bash"):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.split(" ", 1)[0] in CLIS:
                yield f"{line}  # {block.page}"


@pytest.mark.parametrize("line", sorted(set(examples())))
def test_readme_example_matches_help(line):
    words = shlex.split(line, comments=True)
    program, command = words[0], words[1]
    result = CliRunner().invoke(CLIS[program], [command, "--help"])
    assert result.exit_code == 0, f"{program} {command} is not a command"
    for option in (w.split("=")[0] for w in words[2:] if w.startswith("-")):
        assert option in result.output, f"{line}: {option} is not an option of {program} {command}"


def test_readme_shows_examples():
    assert len(set(examples())) >= 15


def python_examples() -> list[Block]:
    """The ```python blocks of README.md, then of docs/*.md, in order."""
    return blocks("python")


def run_python_example(block: str, env: dict | None = None) -> str:
    """Run one README block as a user would: a fresh interpreter in the repository root."""
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", block],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    assert result.returncode == 0, f"{getattr(block, 'page', 'README.md')} example failed:\n{block}\n{result.stderr}"
    return result.stdout


def test_readme_python_examples_run():
    """The offline examples (the last one needs a Label Studio server: tests/e2e runs it)."""
    blocks = python_examples()
    assert len(blocks) == 4
    first = run_python_example(blocks[0])
    assert "2 documents in 1 story" in first and "88 documents" in first
    second = run_python_example(blocks[1])
    assert "tagger-" in second and "| ACTOR |" in second
    assert run_python_example(blocks[3]).split() == ["fled", "flee", "VBD", "nsubj", "4"]  # the language layer


def test_readme_commands_run_as_written_after_the_demo():
    """The README's loop names the project the demo pushes to, reads only files the demo wrote
    or the command before it writes, and replaces (--force) the folders the demo wrote."""
    demo = (ROOT / "scripts" / "demo.sh").read_text()
    project = re.search(r'PROJECT="\$\{NEWSGOLD_DEMO_PROJECT:-([^}]+)\}"', demo).group(1)
    out = re.search(r'OUT="\$\{NEWSGOLD_DEMO_EXPORTS:-([^}]+)\}"', demo).group(1)
    demo_writes = {path.replace("$OUT", out) for path in re.findall(r'(?:--out|-o) "(\$OUT/[^"]+)"', demo)}
    lines = [shlex.split(line, comments=True) for line in examples()]
    written = set(demo_writes)
    for words in lines:
        options = dict(zip(words, words[1:]))
        if "--project" in options:
            assert options["--project"] == project, f"{shlex.join(words)}: the demo's project is {project!r}"
        target = options.get("--out") or options.get("-o")
        if target in demo_writes and words[:2] == ["annotate", "export"]:
            assert "--force" in words, f"{shlex.join(words)}: {target} exists after the demo; add --force"
        if "--predictions" in options:
            assert options["--predictions"] in written, f"{shlex.join(words)}: nothing wrote that file"
        if target:
            written.add(target)


def test_event_records_shown_are_the_export_s(tmp_path):
    """Each ```json event record of the README is one the export of the shipped starter gold's
    validation split really holds (not typed by hand)."""
    import json

    from newsgold.annotate.export import export_dataset

    shown = [json.loads(block) for block in blocks("json") if block.page == "README.md"]
    shown = [record for record in shown if isinstance(record, dict) and "trigger" in record]
    assert shown, "the README shows an event record"
    export_dataset(tmp_path / "v", from_file=ROOT / "seeds" / "gold" / "starter" / "validation.jsonl", to="jsonl")
    held = [
        event
        for part in (tmp_path / "v" / "jsonl").iterdir()
        for line in part.read_text().splitlines()
        for event in json.loads(line)["events"]
    ]
    for record in shown:
        assert record in held, record
