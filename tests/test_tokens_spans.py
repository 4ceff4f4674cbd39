import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsgold.annotate.errors import OverlappingSpansError, SpanError
from newsgold.annotate.spans import Span, offsets_to_iob
from newsgold.annotate.tokens import sentence_spans, tokenize


def make_span(text, start, end, label, **extra):
    return Span(start, end, label, text[start:end], **extra)


def spans_to_iob(text, tokens, spans):
    return offsets_to_iob(text, [t.start for t in tokens], [t.end for t in tokens], spans)


def iob_to_spans(text, tokens, tags):
    """Spans read back from IOB2 tags by seqeval (conlleval's reading: an I-X after O starts a span)."""
    from seqeval.metrics.sequence_labeling import get_entities

    return [
        make_span(text, tokens[first].start, tokens[last].end, label) for label, first, last in get_entities(list(tags))
    ]


def texts(s):
    return [t.text for t in tokenize(s)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,037 Afghan troops", ["1,037", "Afghan", "troops"]),
        ("U.S. troops left", ["U.S.", "troops", "left"]),
        ("around 6:30 p.m. local time", ["around", "6:30", "p.m.", "local", "time"]),
        ("Afghanistan’s Badakhshan", ["Afghanistan", "’s", "Badakhshan"]),
        ("“strengthen” the border", ["“", "strengthen", "”", "the", "border"]),
        ("Security – Tajik", ["Security", "–", "Tajik"]),
        ("Lashkar-e-Taiba, the capital", ["Lashkar-e-Taiba", ",", "the", "capital"]),
        ("in the 1990s.", ["in", "the", "1990s", "."]),
        ("20,000 reservists", ["20,000", "reservists"]),
        ("Gen. Miller said", ["Gen.", "Miller", "said"]),
        ("Lt. Gen. Stephen J. Townsend", ["Lt.", "Gen.", "Stephen", "J.", "Townsend"]),
        ("Plan B and C. then", ["Plan", "B", "and", "C", ".", "then"]),  # an initial only before a name
        ("Taliban ”.", ["Taliban", "”", "."]),
    ],
)
def test_news_tokens(text, expected):
    assert texts(text) == expected


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_tokens_are_slices_in_order(text):
    tokens = tokenize(text)
    previous_end = 0
    for token in tokens:
        assert text[token.start : token.end] == token.text
        assert token.start >= previous_end and not token.text.isspace()
        previous_end = token.end
    # nothing but whitespace is left out
    covered = "".join(t.text for t in tokens)
    assert covered == "".join(text.split())


def test_sentences():
    text = "He said U.S. troops left. “They fled,” he said. Then? Yes\nNew paragraph"
    tokens = tokenize(text)
    sents = [" ".join(t.text for t in tokens[a:b]) for a, b in sentence_spans(text, tokens)]
    assert sents == [
        "He said U.S. troops left .",
        "“ They fled , ” he said .",
        "Then ?",
        "Yes",
        "New paragraph",
    ]


@given(st.text(max_size=300))
def test_sentences_cover_all_tokens(text):
    tokens = tokenize(text)
    sents = sentence_spans(text, tokens)
    flat = [i for a, b in sents for i in range(a, b)]
    assert flat == list(range(len(tokens)))
    assert all(a < b for a, b in sents)


LABELS = ["ACTOR", "LOCATION", "COUNT", "ACTION"]
WORDS = st.sampled_from(["Afghan", "soldiers", "fled", "1,037", "U.S.", "’s", "“", "Tajikistan", ",", "."])


@st.composite
def text_tokens_spans(draw):
    words = draw(st.lists(WORDS, min_size=1, max_size=30))
    seps = draw(st.lists(st.sampled_from([" ", "  ", "\n"]), min_size=len(words), max_size=len(words)))
    text = "".join(w + s for w, s in zip(words, seps))
    tokens = tokenize(text)
    spans, i = [], 0
    while i < len(tokens):
        length = draw(st.integers(0, 3))
        if length and i + length <= len(tokens) and draw(st.booleans()):
            start, end = tokens[i].start, tokens[i + length - 1].end
            spans.append(make_span(text, start, end, draw(st.sampled_from(LABELS))))
            i += length
        else:
            i += 1
    return text, tokens, spans


@settings(max_examples=300)
@given(text_tokens_spans())
def test_spans_iob_round_trip(case):
    text, tokens, spans = case
    alignment = spans_to_iob(text, tokens, spans)
    assert alignment.misaligned == []
    assert iob_to_spans(text, tokens, alignment.tags) == spans


@settings(max_examples=300)
@given(st.data())
def test_iob_spans_round_trip(data):
    text = "Thousands of Afghan soldiers fled to Tajikistan on Monday , officials said ."
    tokens = tokenize(text)
    tags = data.draw(
        st.lists(
            st.sampled_from(["O"] + [f"{p}-{l}" for p in "BI" for l in LABELS]),
            min_size=len(tokens),
            max_size=len(tokens),
        )
    )
    spans = iob_to_spans(text, tokens, tags)
    again = spans_to_iob(text, tokens, spans)
    # decoding is lenient (I- after O starts a span); re-encoding gives valid IOB2 of the same spans
    assert iob_to_spans(text, tokens, again.tags) == spans
    for prev, tag in zip(["O"] + again.tags, again.tags):
        if tag.startswith("I-"):
            assert prev[2:] == tag[2:]


def test_misaligned_span_is_reported_not_shifted():
    text = "Afghan soldiers fled"
    tokens = tokenize(text)
    inside = make_span(text, 0, 9, "ACTOR")  # ends inside "soldiers"
    good = make_span(text, 16, 20, "ACTION")
    alignment = spans_to_iob(text, tokens, [inside, good])
    assert alignment.misaligned == [inside]
    assert alignment.tags == ["O", "O", "B-ACTION"]


def test_overlapping_spans_rejected():
    text = "Afghan soldiers fled"
    with pytest.raises(OverlappingSpansError, match="overlap"):
        spans_to_iob(text, tokenize(text), [make_span(text, 0, 15, "ACTOR"), make_span(text, 7, 15, "ACTOR")])


def test_span_text_mismatch_rejected():
    text = "Afghan soldiers fled"
    with pytest.raises(SpanError, match="says 'soldier'"):
        spans_to_iob(text, tokenize(text), [Span(7, 15, "ACTOR", "soldier")])
