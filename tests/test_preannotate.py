"""Each rule family, with positive and negative examples; then the combined annotator."""

import json

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.documents import make_document
from newsgold.annotate.language import language
from newsgold.annotate.preannotate import RuleAnnotator, resolve, rules_version
from newsgold.annotate.preannotate.view import Candidate
from newsgold.annotate.preannotator import Preannotator

ANNOTATOR = RuleAnnotator().warm_up()


def annotate(text):
    """The rules on one text, through the Preannotator protocol."""
    return ANNOTATOR.annotate(make_document(text, "test", "test"))


def labelled(text, label=None):
    spans = annotate(text).spans
    return [(s.label, s.text) for s in spans if label is None or s.label == label]


# ---------------------------------------------------------------- LOCATION
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Soldiers fled into Tajikistan on Monday.", ["Tajikistan"]),
        ("Fighting raged in northeastern Afghanistan.", ["northeastern Afghanistan"]),
        ("Six districts of Badakhshan province fell.", ["Badakhshan province"]),
        ("They reached Kunduz and Kabul.", ["Kunduz", "Kabul"]),
        ("They fled to Faizabad. Officials left Faizabad later.", ["Faizabad", "Faizabad"]),
        ("He lives in the Nawa district.", ["Nawa district"]),
        ("They seized Imam Sahib, a town near the river.", ["Imam Sahib"]),
        ("About fifty kilometers from the Tajik border.", ["Tajik border"]),
        ("Gains in the province of Helmand were reported.", ["Helmand"]),
    ],
)
def test_locations_found(text, expected):
    assert [t for _, t in labelled(text, "LOCATION")] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Afghan soldiers crossed the river.",  # a demonym is not a place
        "Tajikistan’s State Committee for National Security said so.",  # place inside an organisation
        "Most of the districts fell. Police arrived.",  # gazetteer names that are common words
        "Ahmad said nothing.",  # a weak gazetteer name without place context
        "They patrolled the border.",  # a generic place
    ],
)
def test_locations_not_found(text):
    assert labelled(text, "LOCATION") == []


def test_country_inside_organisation_is_part_of_the_actor():
    assert labelled("Tajikistan’s State Committee for National Security said so.") == [
        ("ACTOR", "Tajikistan’s State Committee for National Security")
    ]


# ---------------------------------------------------------------- COUNT
@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,037 Afghan government troops withdrew.", ["1,037"]),
        ("The mobilization of 20,000 reservists began.", ["20,000"]),
        ("Thousands of soldiers fled.", ["Thousands"]),
        ("Dozens of districts fell.", ["Dozens"]),
        ("More than 300 servicemen crossed.", ["More than 300"]),
        ("Several hundred of them fled.", ["Several hundred"]),
        ("They seized about a third of the 421 districts.", ["about a third of the 421"]),  # things in an ACTION (C2)
        ("At least 10 districts have fallen.", ["At least 10"]),
        ("Three hundred soldiers and a dozen officers arrived.", ["Three hundred", "a dozen"]),
        ("Tens of thousands of people fled.", ["Tens of thousands"]),
        ("The 60-plus nation coalition met.", ["60-plus"]),
    ],
)
def test_counts_found(text, expected):
    assert [t for _, t in labelled(text, "COUNT")] == expected


@pytest.mark.parametrize(
    "text",
    [
        "On September 30, 2022 it rained.",  # a date
        "Afghan troops crossed in July. 4, 2021.",  # a date with a garbled month
        "It happened on Dec. 26 at night.",  # an abbreviated month
        "They crossed around 6:30 p.m. local time.",  # a time
        "They fought for 20 years.",  # a duration
        "The province borders Tajikistan at a distance of 910 km.",  # a distance
        "In the 1990s the regime fell.",  # a decade
        "Call 555-1234 for help.",  # phone-like
        "Prices rose 40 percent.",  # a percentage
        "It cost $300 million.",  # money
        "It was the second attack. One of them stayed.",  # ordinal, bare 'one'
        "Many militias and several districts remained.",  # bare quantifiers
        "They retook 18,000 square kilometers.",  # an area
    ],
)
def test_counts_not_found(text):
    assert labelled(text, "COUNT") == []


# ---------------------------------------------------------------- ACTION
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Soldiers fled and others were fleeing.", ["fled", "fleeing"]),
        ("The Taliban have seized dozens of districts.", ["seized"]),
        ("This massive withdrawal marks the end.", ["withdrawal"]),
        ("Tajikistan mobilized its forces; the mobilisation continues.", ["mobilized", "mobilisation"]),
        ("Afghan soldiers have taken refuge in Tajikistan.", ["taken refuge"]),
        ("The Taliban stepped up attacks.", ["stepped up", "attacks"]),
        ("He confirmed the fall of the districts.", ["fall"]),
    ],
)
def test_actions_found(text, expected):
    assert [t for _, t in labelled(text, "ACTION")] == expected


@pytest.mark.parametrize(
    "text",
    [
        "In March the officials said nothing.",  # a month, a reporting verb
        "Prices fall in the fall.",  # 'fall' is an event only as 'the fall of'
        "Taliban fighters announced it.",  # 'fighters' is an actor head, not an action
    ],
)
def test_actions_not_found(text):
    assert labelled(text, "ACTION") == []


# ---------------------------------------------------------------- ACTOR
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Afghan soldiers crossed.", ["Afghan soldiers"]),
        ("Taliban fighters advanced towards the border.", ["Taliban fighters"]),
        ("1,037 Afghan government troops withdrew.", ["Afghan government troops"]),
        ("U.S. and NATO troops left.", ["U.S. and NATO troops"]),
        (
            "Hundreds of Afghan army, police and intelligence soldiers surrendered.",
            ["Afghan army, police and intelligence soldiers"],
        ),
        ("Fighting between the Taliban and security forces went on.", ["Taliban", "security forces"]),
        ("Taliban spokesman Zabihullah Mujahid confirmed it.", ["Taliban", "Zabihullah Mujahid"]),
        ("“We will fight,” said Atta Noori, an analyst.", ["Atta Noori"]),
        ("General Scott Miller, the leader of US forces, spoke.", ["Scott Miller", "US forces"]),
        ("The Afghan Interior Ministry released a statement.", ["Afghan Interior Ministry"]),
        ("Officials said the militias fought.", ["Officials", "militias"]),
    ],
)
def test_actors_found(text, expected):
    assert [t for _, t in labelled(text, "ACTOR")] == expected


@pytest.mark.parametrize(
    "text",
    [
        "An Afghan analyst spoke about the border.",  # demonym + non-group noun
        "He said Monday that it was over.",  # a weekday is no person
        "The fighter jets and the council building burned.",  # heads that need a modifier
        "A statement issued on Monday said so.",
    ],
)
def test_actors_not_found(text):
    assert labelled(text, "ACTOR") == []


# ---------------------------------------------------------------- relations
def test_relations_link_action_to_actor_place_and_count():
    text = "More than 300 Afghan servicemen fled to Tajikistan."
    annotation = annotate(text)
    by_id = {s.id: s.text for s in annotation.spans}
    relations = {(r.label, by_id[r.head], by_id[r.tail]) for r in annotation.relations}
    assert relations == {
        ("counts", "More than 300", "Afghan servicemen"),
        ("agent", "fled", "Afghan servicemen"),
        ("quantity", "fled", "More than 300"),
        ("place", "fled", "Tajikistan"),
    }
    assert all(r.score < min(s.score for s in annotation.spans) for r in annotation.relations)


def test_each_action_in_a_long_document_links_its_own_place():
    # The place rule walks the spans by position (it used list.index: quadratic on long texts).
    places = ["Tajikistan", "Uzbekistan", "Kabul", "Iran"] * 50
    text = " ".join(f"Afghan soldiers fled to {place}." for place in places)
    annotation = annotate(text)
    by_id = {s.id: s for s in annotation.spans}
    linked = [(by_id[r.head], by_id[r.tail]) for r in annotation.relations if r.label == "place"]
    assert [tail.text for _, tail in sorted(linked)] == places
    assert all(head.text == "fled" and text[head.end : tail.start] == " to " for head, tail in linked)


def test_no_relation_across_sentences():
    annotation = annotate("Afghan soldiers waited. They fled. It rained in Kabul.")
    assert [r.label for r in annotation.relations] == []


# ---------------------------------------------------------------- combination
def test_resolve_is_deterministic_and_prefers_longer_spans():
    candidates = [
        Candidate(0, 1, "LOCATION", 0.95),
        Candidate(0, 5, "ACTOR", 0.85),
        Candidate(6, 7, "ACTION", 0.8),
        Candidate(6, 7, "COUNT", 0.8),
    ]
    assert (
        resolve(candidates)
        == resolve(list(reversed(candidates)))
        == [
            Candidate(0, 5, "ACTOR", 0.85),
            Candidate(6, 7, "COUNT", 0.8),
        ]
    )


def test_spans_are_valid_and_scored(seed_paths):
    from newsgold.annotate.spans import check_spans
    from tests.conftest import read_documents

    for doc in read_documents(seed_paths)[0]:
        assert isinstance(ANNOTATOR, Preannotator)
        annotation = ANNOTATOR.annotate(doc)
        assert annotation.document == doc
        check_spans(doc.text, annotation.spans)  # in range, text matches, no overlap
        assert all(0 < s.score <= 1 for s in annotation.spans)
        # the rules read the language layer: its identity is part of their version
        assert annotation.model_version == f"{rules_version()}+{language().identity}"
        assert rules_version().startswith("rules-")


def test_cli_preannotate_and_score(tmp_path):
    from tests.conftest import SEEDS

    out = tmp_path / "pred.jsonl"
    result = CliRunner().invoke(cli, ["preannotate", str(SEEDS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2 and all(r["model_version"] == ANNOTATOR.model_version for r in rows)
    assert {"id", "source", "story_id", "spans", "relations"} <= set(rows[0])
    result = CliRunner().invoke(cli, ["score", str(SEEDS / "gold" / "seeds.jsonl"), str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["labels"]) == {"ACTOR", "LOCATION", "COUNT", "ACTION"}


def test_score_requires_a_prediction_per_gold_document(tmp_path):
    from tests.conftest import SEEDS

    empty = tmp_path / "none.jsonl"
    empty.write_text('{"id": "other", "spans": []}\n')
    result = CliRunner().invoke(cli, ["score", str(SEEDS / "gold" / "seeds.jsonl"), str(empty)])
    assert result.exit_code == 1 and "has no prediction" in result.stderr
