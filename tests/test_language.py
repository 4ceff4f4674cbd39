"""The language layer (annotate/language.py): exact offsets, the cache, pieces, the pin."""

import sqlite3

import pytest

from newsgold.annotate import language as layer
from newsgold.annotate.analysis import Analysis, parsed_text, pieces
from newsgold.annotate.errors import NewsgoldError
from newsgold.annotate.language import PipelineError, language

ODD = [
    "Thousands of  Afghan\tsoldiers fled\u00a0into Tajikistan.\n\n\n  More than 300 crossed.",
    "\u00a0\u00a0Taliban fighters 😀 seized Kunduz 🇦🇫 on Sunday.\u2009Officials said.\r\n",
    "   ",
    "",
    "U.S. forces and the Kurdish YPG\u200b struck ISIL’s positions near Raqqa… \u3000Done.",
]


def _exact(analysis: Analysis) -> None:
    text = analysis.text
    assert list(analysis.starts) == sorted(analysis.starts)
    for start, end in zip(analysis.starts, analysis.ends):
        piece = text[start:end]
        assert piece and not any(c.isspace() for c in piece), repr(piece)
    # every character of the text but spaces and invisible format characters lies in some token
    covered = set()
    for start, end in zip(analysis.starts, analysis.ends):
        covered.update(range(start, end))
    shown = parsed_text(text)
    assert all(i in covered for i, c in enumerate(shown) if not c.isspace())
    n = len(analysis)
    assert all(0 <= h < n for h in analysis.heads)
    assert all(len(f) == n for f in (analysis.lemmas, analysis.tags, analysis.pos, analysis.deps))
    for first, end in analysis.sentences:
        assert 0 <= first < end <= n
    for first, end, label in analysis.entities:
        assert 0 <= first < end <= n and label


@pytest.mark.parametrize("text", ODD)
def test_offsets_exact_on_odd_text(text):
    (analysis,) = language().analyse([text])
    assert analysis.text == text
    _exact(analysis)


def test_what_a_text_gets():
    (a,) = language().analyse(["Thousands of Afghan soldiers fled into Tajikistan on Monday, officials said."])
    words = a.words
    fled = words.index("fled")
    assert a.lemmas[fled] == "flee" and a.tags[fled] == "VBD"
    assert a.deps[words.index("Thousands")] == "nsubj" and a.heads[words.index("Thousands")] == fled
    assert (words.index("Tajikistan"), words.index("Tajikistan") + 1) in {(s, e) for s, e, _ in a.entities}
    assert a.sentences == ((0, len(a)),)


MARKS = ["\u200e", "\u200f", "\u200b", "\ufeff", "\u2060", "\u00ad", "\u202c"]


@pytest.mark.parametrize("mark", MARKS)
def test_invisible_format_characters_do_not_glue_words(mark):
    """Pasted news carries left-to-right marks after names and full stops; the pipeline read
    "operation.\u200e" as one token (lemma "operation.\u200e", the sentence not ended) and the
    rules lost the ACTION and the next sentence's ACTOR."""
    from newsgold.annotate.preannotate import RuleAnnotator

    clean = "Coalition forces attacked Mosul during the operation. Fighters fled to Raqqa. "
    marked = clean.replace(". ", f".{mark} ")
    (plain, odd) = language().analyse([clean, marked])
    _exact(odd)
    assert [w for w in odd.words] == [w for w in plain.words]
    assert odd.lemmas == plain.lemmas and odd.pos == plain.pos and len(odd.sentences) == len(plain.sentences)
    rules = RuleAnnotator().warm_up()
    found = [[(s.label, s.text) for s in rules.annotate_text(t)[0]] for t in (clean, marked)]
    assert found[0] == found[1] and ("ACTION", "operation") in found[1]


@pytest.mark.parametrize("limit", [40, 97, 1000])
def test_long_texts_in_pieces_keep_exact_offsets(monkeypatch, limit):
    text = "".join(f"Soldiers fled to Kunduz {i}.  \u00a0Fighting went on near Faizabad.\n\n" for i in range(60))
    monkeypatch.setattr(layer, "PIECE_CHARS", limit)
    (cut,) = language().analyse([text], cached=False)
    monkeypatch.setattr(layer, "PIECE_CHARS", 10**6)
    (whole,) = language().analyse([text], cached=False)
    _exact(cut)
    assert cut.words == whole.words and cut.starts == whole.starts
    assert len(cut.sentences) >= 120  # each piece's sentences, shifted to the whole text


def test_pieces_cover_the_text_at_bounds():
    text = ("A sentence here. " * 30 + "\n\n") * 5
    ranges = pieces(text, 200)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(end - start <= 200 for start, end in ranges)
    assert all(text[end - 1].isspace() for _, end in ranges[:-1])
    assert pieces("x" * 450, 200) == [(0, 200), (200, 400), (400, 450)]  # no bound: cut hard


def test_a_second_run_parses_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSGOLD_CACHE", str(tmp_path))
    texts = [f"Report {i}: fighters attacked the town of Kunduz." for i in range(5)]
    first = language().analyse(texts)
    monkeypatch.setattr(layer.Pipeline, "_parse", lambda *a, **k: pytest.fail("parsed again"))
    assert language().analyse(texts) == first
    assert language().analyse(texts[::-1]) == first[::-1]


def test_the_cache_is_keyed_by_pipeline_and_format(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSGOLD_CACHE", str(tmp_path))
    pipeline = language()
    text = "Troops crossed the border."
    pipeline.analyse([text])
    # a forged entry under another identity or format is never read by this one
    path = pipeline.cache().path
    assert pipeline.identity in path.name and f"f{layer.FORMAT}" in path.name
    other = tmp_path / "language" / path.name.replace(pipeline.digest[:12], "000000000000")
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE analyses (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
    db.execute("INSERT INTO analyses VALUES (?, ?)", (layer.text_key(text), b"[[],[],[],[],[],[],[],[],[]]"))
    db.commit()
    db.close()
    monkeypatch.setattr(layer, "FORMAT", layer.FORMAT + 1)
    (fresh,) = pipeline.analyse([text])  # a new format: a new file, parsed again
    assert len(fresh) == 5


def test_a_damaged_cache_is_set_aside(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSGOLD_CACHE", str(tmp_path))
    pipeline = language()
    path = pipeline.cache().path
    path.write_bytes(b"this is not a database" * 100)
    (a,) = pipeline.analyse(["Rebels fled."])
    assert a.words == ["Rebels", "fled", "."]
    assert path.with_suffix(".damaged").exists()
    (b,) = pipeline.analyse(["Rebels fled."])  # a new cache file works again
    assert b == a


def test_an_unwritable_cache_does_not_stop_the_run(monkeypatch, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("NEWSGOLD_CACHE", str(blocked / "below"))
    (a,) = language().analyse(["Rebels fled."])
    assert a.words == ["Rebels", "fled", "."]


def test_workers_give_what_one_process_gives(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSGOLD_CACHE", str(tmp_path))
    texts = [f"On day {i} about {i * 10} soldiers fled from Kunduz.\u200e to Dushanbe. " * 3 for i in range(40)]
    one = language().analyse(texts, processes=1, cached=False)
    two = language().analyse(texts, processes=2, cached=False)
    assert one == two


def test_a_missing_pipeline_is_one_line():
    with pytest.raises(PipelineError) as caught:
        layer.Pipeline("no_such_pipeline_xyz")
    message = str(caught.value)
    assert "\n" not in message and "no_such_pipeline_xyz" in message and "not installed" in message
    assert isinstance(caught.value, NewsgoldError)


def test_the_pinned_pipeline_must_be_the_pinned_one(monkeypatch):
    pinned = dict(layer.PINNED[layer.DEFAULT], files="0" * 64)
    monkeypatch.setitem(layer.PINNED, layer.DEFAULT, pinned)
    with pytest.raises(PipelineError, match="differ from the pinned ones.*setup.sh"):
        layer.Pipeline(layer.DEFAULT)
    monkeypatch.setitem(layer.PINNED, layer.DEFAULT, dict(pinned, version="9.9.9"))
    with pytest.raises(PipelineError, match="version 3.8.0, not the pinned 9.9.9"):
        layer.Pipeline(layer.DEFAULT)


def test_identity_names_version_and_files():
    pipeline = language()
    assert pipeline.identity == f"{layer.DEFAULT}-3.8.0-{layer.PINNED[layer.DEFAULT]['files'][:12]}"
    described = pipeline.describe()
    assert described["licence"] == "MIT" and described["sha256"] == layer.PINNED[layer.DEFAULT]["files"]


def test_aligned_maps_other_tokens_to_their_head():
    (a,) = language().analyse(["The counter-attack by Lashkar-e-Taiba hit U.S. bases."])
    text = a.text
    ours = [(m.start(), m.end()) for m in __import__("re").finditer(r"\S+?(?=[ .]|$)|\.", text)]
    found = a.aligned([s for s, _ in ours], [e for _, e in ours])
    words = a.words
    assert words[found[1]] == "attack"  # "counter-attack": the head of counter - attack
    assert all(i >= 0 for i in found)
    assert a.aligned([len(text) + 5], [len(text) + 6]) == [-1]


def test_the_place_index_is_cached_and_rebuilt_when_damaged(monkeypatch, tmp_path):
    from newsgold.annotate.resources import gazetteer

    monkeypatch.setenv("NEWSGOLD_CACHE", str(tmp_path))
    built = gazetteer._build_index()
    gazetteer.place_index.cache_clear()
    try:
        assert gazetteer.place_index() == built  # built, then written
        (stored,) = (tmp_path / "gazetteer").glob("places-*.json")
        gazetteer.place_index.cache_clear()
        assert gazetteer.place_index() == built  # read back
        stored.write_bytes(b'{"Kabul": [1, ')  # damaged: built again, and written whole
        gazetteer.place_index.cache_clear()
        assert gazetteer.place_index() == built
        assert stored.read_bytes().startswith(b"{") and stored.stat().st_size > 1000
    finally:
        gazetteer.place_index.cache_clear()


def test_two_runs_share_one_cache_at_once(tmp_path):
    """Two processes parsing the same new texts into one cache at the same time both finish with
    the same analyses, and the cache holds each text once."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, sys; from newsgold.annotate.language import language; "
        "texts = [f'Convoy {i} left Kunduz for the Tajik border.' for i in range(300)]; "
        "print(json.dumps([a.words for a in language().analyse(texts, processes=1)]))"
    )
    env = {**os.environ, "NEWSGOLD_CACHE": str(tmp_path)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err for _, err in outputs]
    assert outputs[0][0] == outputs[1][0] and len(json.loads(outputs[0][0])) == 300
    db = sqlite3.connect(next((tmp_path / "language").glob("*.sqlite3")))
    assert db.execute("SELECT count(*) FROM analyses").fetchone()[0] == 300
