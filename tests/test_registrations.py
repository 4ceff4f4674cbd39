"""The shared tables of the rules and the merge are filled by explicit registrations in one place
each (issue 24): the rule families' trigger words in annotator.py, the merge policies in merge.py;
the tables hold what they held when each module filled them at its import."""

import ast
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from newsgold.annotate.preannotate import actions, actors, counts, locations, merge
from newsgold.annotate.preannotate.view import TRIGGER_WORDS
from newsgold.annotate.resources.lexicon import ACTION_WORDS, GROUP_HEADS, GROUP_MODIFIERS, NUMBER_WORDS
from newsgold.annotate.resources.placewords import PLACE_SUFFIXES, PLACE_TYPES

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = (actions, actors, counts, locations)


def test_the_trigger_words_are_every_familys_and_nothing_else():
    assert TRIGGER_WORDS == set().union(*(f.TRIGGERS for f in FAMILIES))
    for words in (ACTION_WORDS, NUMBER_WORDS, PLACE_SUFFIXES, PLACE_TYPES, GROUP_HEADS, GROUP_MODIFIERS):
        assert set(words) <= TRIGGER_WORDS
    assert {"one", "border", ","} <= TRIGGER_WORDS and "1" not in TRIGGER_WORDS  # digits are marked apart


def test_a_docview_imported_alone_sees_every_familys_trigger_words():
    """Whatever is imported first, the table is complete before a DocView is built."""
    code = (
        "from newsgold.annotate.preannotate.view import TRIGGER_WORDS, DocView; "
        "print(len(TRIGGER_WORDS), DocView('Afghan soldiers killed 3 in Kabul province.').positions({'killed'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(
        maxsplit=1
    )
    assert int(out[0]) == len(TRIGGER_WORDS) and out[1].strip() == "[2]"


def test_the_merge_policies_are_the_same_table_in_the_same_order():
    plain = ["rules", "model", "fill", "split", "union"]
    conformed = [f"{p}+guidelines" for p in plain[1:]] + [f"fill+guidelines>={m}" for m in (0.5, 0.7, 0.8, 0.9)]
    assert list(merge.POLICIES) == plain + conformed and list(merge.CONFORMED) == conformed
    assert merge.POLICIES["fill+guidelines"] is merge.POLICIES["fill"] is merge.fill
    thresholds = merge.POLICIES["fill+guidelines>=0.9"]
    assert isinstance(thresholds, partial) and thresholds.func is merge.fill and thresholds.keywords == {"minimum": 0.9}
    assert merge.DEFAULT_POLICY in merge.POLICIES and merge.OWN_GOLD_POLICY in merge.POLICIES


def test_a_policy_is_registered_once():
    with pytest.raises(ValueError, match="registered already"):
        merge.register_policy("fill", merge.fill)
    assert list(merge.POLICIES).count("fill") == 1


def test_each_table_is_registered_in_one_place():
    """`register_triggers` is called in annotator.py only, `register_policy` in merge.py only."""
    places = {"register_triggers": set(), "register_policy": set()}
    for path in (ROOT / "annotate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in places:
                    places[name].add(path.relative_to(ROOT).as_posix())
    assert places == {
        "register_triggers": {"annotate/preannotate/annotator.py"},
        "register_policy": {"annotate/preannotate/merge.py"},
    }
