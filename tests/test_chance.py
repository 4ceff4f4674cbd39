"""Chance-corrected agreement (Krippendorff's α, Cohen's κ) and relation agreement, checked
against figures worked out by hand from the definitions (Krippendorff 2011's coincidence
matrix; Cohen 1960)."""

import json

import pytest
from click.testing import CliRunner

from newsgold.annotate.spans import Relation, Span
from newsgold.annotate.studio.agreement import agreement, agreement_tables
from newsgold.annotate.studio.chance import ChanceAgreement, chance_table, token_tags
from tests.test_agreement import ACTOR, FLED, PLACE, TEXT, USERS, annotation, task

FOUR = "w1 w2 w3 w4"


def span(start, end, label, sid=None, text=FOUR):
    return Span(start, end, label, text[start:end], id=sid)


def test_token_tags_mark_every_token_a_span_touches():
    assert token_tags(FOUR, [span(3, 8, "ACTOR")]) == ["O", "B-ACTOR", "I-ACTOR", "O"]
    assert token_tags(FOUR, [span(4, 5, "COUNT")]) == ["O", "B-COUNT", "O", "O"]  # inside a token


def test_alpha_and_kappa_by_hand():
    """Coder a tags O B I O, coder b O B O O (label ACTOR on w2[-w3]).
    α: coincidences o_OO=4, o_BB=2, o_IO=o_OI=1; n_O=5, n_B=2, n_I=1, n=8;
       α = 1 - (n-1)·Σ_{c≠k} o_ck / Σ_{c≠k} n_c·n_k = 1 - 7·2 / (2·(10+5+2)) = 20/34 = 0.5882.
    κ: p_o = 3/4; marginals a: O 2, B 1, I 1; b: O 3, B 1; p_e = (2·3 + 1·1)/16 = 7/16;
       κ = (12/16 - 7/16) / (9/16) = 5/9 = 0.5556."""
    chance = ChanceAgreement(["ACTOR", "LOCATION"])
    chance.add(FOUR, {"a": ([span(3, 8, "ACTOR")], []), "b": ([span(3, 5, "ACTOR")], [])})
    report = chance.report()
    assert report["alpha"]["tags"] == pytest.approx(20 / 34, abs=1e-4)
    assert report["alpha"]["labels"]["ACTOR"] == pytest.approx(20 / 34, abs=1e-4)
    assert report["kappa"]["a vs b"] == pytest.approx(5 / 9, abs=1e-4)
    # LOCATION: nobody drew one, every token O: no variation, not scored, and said so
    assert report["alpha"]["labels"]["LOCATION"] is None and "alpha: LOCATION" in report["unscored"]
    assert "| tokens | 0.59 | 0.59 | – |" in chance_table(report)


def test_perfect_agreement_is_one_and_a_missing_coder_is_missing_not_disagreeing():
    chance = ChanceAgreement(["ACTOR"])
    same = [span(0, 2, "ACTOR")]
    chance.add(FOUR, {"a": (same, []), "b": (same, [])})
    chance.add(FOUR, {"a": ([span(6, 8, "ACTOR")], []), "c": ([span(6, 8, "ACTOR")], [])})  # b did not annotate it
    report = chance.report()
    assert report["alpha"]["tags"] == 1.0 and report["kappa"] == {"a vs b": 1.0, "a vs c": 1.0}


def test_relation_f1_needs_the_type_and_both_endpoints():
    """a draws place(fled→Tajikistan) and agent(fled→soldiers); b draws place with the same
    endpoints and agent with another endpoint: 1 agreed of 2 + 2, F1 = 2·1/4 = 0.5."""
    text = TEXT
    fled, actor, place = (
        span(*FLED, sid="f", text=text),
        span(*ACTOR, sid="a", text=text),
        span(*PLACE, sid="p", text=text),
    )
    soldiers = span(7, 15, "ACTOR", sid="s", text=text)
    chance = ChanceAgreement(["ACTOR", "LOCATION", "ACTION"])
    chance.add(
        text,
        {
            "a": ([fled, actor, place], [Relation("f", "p", "place"), Relation("f", "a", "agent")]),
            "b": ([fled, soldiers, place], [Relation("f", "p", "place"), Relation("f", "s", "agent")]),
        },
    )
    assert chance.report()["relations"]["a vs b"] == {"agreed": 1, "first": 2, "second": 2, "f1": 0.5}


def test_agreement_reports_chance_and_the_cli_prints_it(monkeypatch):
    """Through the task reader: two annotators and a ground truth; the ground truth is the
    reference, not a coder, so α and κ compare ann1 and ann2 alone."""
    tasks = [
        task(
            1,
            [
                annotation(1, 1, [ACTOR, FLED, PLACE], 1, relations=[(1, 2, "place")]),
                annotation(2, 2, [ACTOR, FLED], 2),
                annotation(3, 9, [ACTOR], 3, gt=True),
            ],
        )
    ]
    report = agreement(tasks, ["ACTOR", "LOCATION", "ACTION"], USERS)
    chance = report["chance"]
    assert list(chance["kappa"]) == ["ann1 vs ann2"]
    assert chance["relations"]["ann1 vs ann2"] == {"agreed": 0, "first": 1, "second": 0, "f1": 0.0}
    assert chance["alpha"]["labels"]["ACTOR"] == 1.0 and chance["alpha"]["labels"]["LOCATION"] < 0.5
    assert "Krippendorff" in agreement_tables(report, ["ACTOR", "LOCATION", "ACTION"])

    from newsgold.annotate import api
    from newsgold.annotate import cli as cli_module

    found = api.ProjectAgreement(
        report["documents"],
        report["pairs"],
        report["disagreements"],
        ["ACTOR", "LOCATION", "ACTION"],
        report["ground_truth"],
        report["definition"],
        chance,
    )
    monkeypatch.setattr(api, "project_agreement", lambda *a, **k: found)
    out = CliRunner().invoke(cli_module.cli, ["agreement", "--project", "p", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["chance"]["kappa"]["ann1 vs ann2"] == chance["kappa"]["ann1 vs ann2"]
    out = CliRunner().invoke(cli_module.cli, ["agreement", "--project", "p"])
    assert "| ann1 vs ann2 |" in out.output and "Cohen's κ" in out.output
