"""No predicted span crosses a line break (no gold span does): the rules leave out candidates that
would, the tagger's spans are cut there, and a merged model's are too. Before the guard the rules
read "Baghdad\\n\\nForeign Office Minister" as one ACTOR (a headline and the line under it)."""

import pytest

from newsgold.annotate.documents import make_document
from newsgold.annotate.preannotate import RuleAnnotator
from newsgold.annotate.preannotate.merge import MergedAnnotator
from newsgold.annotate.preannotate.view import Candidate, DocView
from newsgold.annotate.preannotator import AnnotatedDocument
from newsgold.annotate.spans import Span

RULES = RuleAnnotator().warm_up()
HEADLINES = [
    "Minister responds to the attack in the Karrada district of Baghdad\n\nForeign Office Minister, Tobias Ellwood, said: the attack was horrific.",
    "Statement on the bombing in the Old City of Mosul\n\nDefence Secretary Michael Fallon said: we condemn it.",
    "Airstrikes hit targets near Raqqa\n\nCoalition forces conducted 12 strikes in Syria.",
    "Refugees cross into Jordan\nUN High Commissioner Filippo Grandi said thousands fled.",
]


def test_a_candidate_across_a_line_break_is_cut_there_or_left_out():
    doc = DocView("Near Kabul\n\nTaliban fighters\nattacked.")
    words = doc.words
    whole = Candidate(words.index("Kabul"), words.index("fighters") + 1, "ACTOR", 0.8)
    inside = Candidate(words.index("Taliban"), words.index("fighters") + 1, "ACTOR", 0.9)
    assert doc.breaks_within(whole) == [words.index("Taliban")]
    assert doc.within_lines([whole, inside], cut=False) == [inside]
    cut = doc.within_lines([whole])
    assert [" ".join(words[c.start : c.end]) for c in cut] == ["Kabul", "Taliban fighters"]
    assert {(c.label, c.score) for c in cut} == {("ACTOR", 0.8)}
    across = Candidate(words.index("Kabul"), len(words), "ACTION", 0.5)  # two breaks: three pieces
    assert len(doc.within_lines([across])) == 3


@pytest.mark.parametrize("text", HEADLINES)
def test_the_rules_never_draw_a_span_across_a_line(text):
    spans, _ = RULES.annotate_text(text)
    assert spans, "the rules found nothing: the text no longer tests the guard"
    assert not [s.text for s in spans if "\n" in s.text]


class LineBlindModel:
    """A model that proposes one span over a headline and the line under it."""

    model_version = "blind-1"
    labels = ("ACTOR",)
    annotated_in = "starter-gold"

    def annotate(self, document):
        text = document.text
        start, end = text.index("Raqqa"), text.index("forces") + len("forces")
        span = Span(start, end, "ACTOR", text[start:end], 0.99)
        return AnnotatedDocument(document, (span,), (), self.model_version)


def test_a_merged_models_span_across_a_line_is_cut():
    merged = MergedAnnotator(RULES, LineBlindModel()).annotate(make_document(HEADLINES[2], "h.txt", "h.txt"))
    assert not [s.text for s in merged.spans if "\n" in s.text]


def test_the_taggers_spans_are_cut_at_line_breaks():
    from newsgold.train.predict import TaggerAnnotator

    class Tagger:  # predicts one entity over every token of the document
        labels_ = ["ACTOR"]
        features = "plain"

        def predict_documents(self, words, context=None):
            return [([(0, len(w), "ACTOR", 0.7)], 0.5) for w in words]

    annotator = TaggerAnnotator(Tagger(), "t-1", "starter-gold")
    annotator.linker.pipeline = False
    (annotated,) = annotator.annotate_many([make_document("Kunduz falls\n\nTaliban fighters advance", "k", "k")])
    assert [s.text for s in annotated.spans] == ["Kunduz falls", "Taliban fighters advance"]


@pytest.mark.parametrize("mark", ["\u2028", "\u2029", "\x0c", "\x85", "\x0b"])
def test_every_line_break_str_splitlines_knows_is_one(mark):
    text = HEADLINES[0].replace("\n\n", mark)
    spans, _ = RULES.annotate_text(make_document(text, "u.txt", "u.txt").text)
    assert spans and not [s.text for s in spans if mark in s.text]
    doc = DocView(f"Kunduz{mark}Taliban fighters")
    assert len(doc.within_lines([Candidate(0, len(doc.words), "ACTOR", 1.0)])) == 2
