import json

import numpy as np
import scipy.sparse as sp
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from newsgold.annotate import stories
from newsgold.annotate.check import check_dataset
from newsgold.annotate.cli import cli
from newsgold.annotate.documents import group_stories, make_document
from newsgold.annotate.stories import StoryStats, capped_components, tfidf, uneven_splits

WORDS = (
    "taliban army kabul province soldiers fled bombing market police election ballot vote minister "
    "flood river farmers harvest bank rates inflation frog rainforest biologists waterfall"
).split()


def all_pairs(texts, threshold):
    """The method newsgold used before: the full thresholded similarity graph, its components."""
    vectors = tfidf(texts)
    graph = (vectors @ vectors.T).tocsr()
    graph.data[graph.data < threshold] = 0
    graph.eliminate_zeros()
    return connected_components(sp.csr_matrix(graph), directed=False)[1]


def same_partition(a, b):
    pairs = np.unique(np.stack([a, b]), axis=1)
    return len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12), min_size=1, max_size=25),
    st.sampled_from([0.2, 0.4, 0.6]),
    st.integers(1, 7),
)
def test_blocked_grouping_equals_all_pairs(docs, threshold, cells):
    texts = [" ".join(words) for words in docs]
    old = all_pairs(texts, threshold)
    stories.BLOCK_CELLS, saved = cells * len(texts), stories.BLOCK_CELLS  # 1 to 7 rows per block
    try:
        new = capped_components(tfidf(texts), threshold)
    finally:
        stories.BLOCK_CELLS = saved
    assert same_partition(new, old)


def chain(n):
    """n texts, each sharing most of its words with the next: a chain single-link swallows."""
    vocabulary = [f"term{i}" for i in range(n + 8)]
    return [" ".join(vocabulary[i : i + 8]) for i in range(n)]


def test_cap_splits_a_chain_and_keeps_near_duplicates_together():
    texts = chain(30) + ["zebra giraffe lion savanna herd migration", "zebra giraffe lion savanna herd river"]
    docs = [make_document(t, f"d{i}", f"d{i}") for i, t in enumerate(texts)]
    plain = group_stories(docs)
    assert len({d.story_id for d in plain[:30]}) == 1  # chained into one story
    capped = group_stories(docs, max_story=5)
    sizes = np.unique([d.story_id for d in capped[:30]], return_counts=True)[1]
    assert sizes.max() <= 5 and len(sizes) >= 6
    assert capped[30].story_id == capped[31].story_id != capped[0].story_id  # the near duplicates


def test_chaining_and_uneven_split_warnings():
    assert (
        StoryStats.of(["a"] * 15 + list("bcdefghij"))
        .chaining()
        .startswith("the largest story holds 15 of 24 documents (62%)")
    )
    assert StoryStats.of(list("abcdefghijklmnopqrstuvwxyz")).chaining() is None
    assert StoryStats.of(["a"] * 5).chaining() is None  # too few documents to tell
    uneven = uneven_splits({"train": 45, "validation": 5, "test": 50}, (0.8, 0.1, 0.1))
    assert uneven.startswith("the splits came out train 45% / validation 5% / test 50% against 80% / 10% / 10%")
    assert uneven_splits({"train": 78, "validation": 12, "test": 10}, (0.8, 0.1, 0.1)) is None


def test_export_reports_chaining_in_notes_card_and_check(tmp_path):
    gold = tmp_path / "gold.jsonl"
    with open(gold, "w") as out:
        for text in chain(30):
            out.write(json.dumps({"text": text, "spans": [], "annotated_labels": ["ACTOR"]}) + "\n")
    result = CliRunner().invoke(cli, ["export", "--from", str(gold), "--out", str(tmp_path / "ds")])
    assert result.exit_code == 0, result.output
    assert "note: the largest story holds 30 of 30 documents (100%)" in result.stderr
    assert "note: the splits came out" in result.stderr
    assert "grouped 30 document(s) without a story id into 1 stories; the largest holds 30 (100%)" in result.stderr
    card = (tmp_path / "ds" / "README.md").read_text()
    assert "largest_story: 30" in card and "- the largest story holds 30 of 30 documents" in card
    warnings = check_dataset(tmp_path / "ds").warnings
    assert any(w.startswith("the largest story holds 30 of 30") for w in warnings)
    assert any(w.startswith("the splits came out") for w in warnings)

    result = CliRunner().invoke(
        cli, ["export", "--from", str(gold), "--out", str(tmp_path / "capped"), "--max-story", "5"]
    )
    assert result.exit_code == 0, result.output
    assert "largest story holds" not in result.stderr
    assert "max_story: 5" in (tmp_path / "capped" / "README.md").read_text()
    assert not any("largest story" in w for w in check_dataset(tmp_path / "capped").warnings)


def test_documents_with_a_story_id_keep_it_and_are_not_compared(monkeypatch):
    from dataclasses import replace

    text = "Afghan soldiers fled across the border into Tajikistan on Monday, officials said."
    wire = [
        replace(make_document(text + f" Report {i}.", f"g{i}.txt", f"g{i}.txt"), story_id="wire-1") for i in range(3)
    ]
    assert group_stories(wire) == wire
    compared = []
    real = stories.tfidf
    monkeypatch.setattr(stories, "tfidf", lambda texts: compared.append(list(texts)) or real(texts))
    loose = [
        make_document(text + " Late edition.", "l.txt", "l.txt"),
        make_document(text + " Evening.", "e.txt", "e.txt"),
    ]
    grouped = group_stories(wire + loose)
    assert [d.story_id for d in grouped[:3]] == ["wire-1"] * 3
    assert grouped[3].story_id == grouped[4].story_id != "wire-1"  # the two loose reports, one story
    assert compared == [[d.text for d in loose]]  # only the documents without a story id were compared


VOCABULARY = [f"w{i}" for i in range(60)]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=30), min_size=2, max_size=40),
    st.sampled_from([0.2, 0.4, 0.6, 0.8]),
)
def test_prefix_filter_finds_every_link(docs, threshold):
    """Without the frequency cut, comparing only the pairs that share a prefix term links exactly
    the pairs all-pairs links (the block fallback to one exact product switched off)."""
    import pytest

    texts = [" ".join(words) for words in docs]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stories, "DENSE_SHARE", float("inf"))
        patch.setattr(stories, "MAX_DF", len(texts))
        assert same_partition(capped_components(tfidf(texts), threshold), all_pairs(texts, threshold))


def reports(n):
    """n reports, each naming its own rare people and places among common words; report 2k+1 is a
    rewrite of report 2k (four of its five names)."""
    texts = []
    for i in range(n):
        story = i // 2
        names = [f"name{story}x{k}" for k in range(5)]
        if i % 2:
            names[4] = f"other{i}"
        texts.append(" ".join(["soldiers fled border officials said"] + names))
    return texts


def test_candidates_grow_linearly_and_find_every_rewrite(monkeypatch):
    monkeypatch.setattr(stories, "MAX_DF", 20)
    texts = reports(400)
    vectors = tfidf(texts)
    prefix = stories._prefixes(vectors, 0.4)
    candidates = (prefix @ prefix.T).nnz
    assert candidates <= 2 * len(texts)  # each report pairs with itself and its rewrite, not with all 400
    labels = capped_components(vectors, 0.4)
    assert same_partition(labels, all_pairs(texts, 0.4))
    assert all(labels[i] == labels[i + 1] for i in range(0, 400, 2)) and len(set(labels)) == 200


def test_copies_of_a_wire_story_in_many_outlets_share_a_story(monkeypatch):
    """A text reprinted by more outlets than MAX_DF has no term rare enough: the copies are still
    linked through their MIN_TERMS rarest terms."""
    monkeypatch.setattr(stories, "MAX_DF", 5)
    wire = "Floods displaced thousands of farmers along the Kabul river on Monday, officials said."
    texts = [f"{wire} Printed by outlet{i}." for i in range(12)] + [f"unrelated{i} subject{i}" for i in range(6)]
    labels = capped_components(tfidf(texts), 0.4)
    assert len(set(labels[:12])) == 1 and len(set(labels)) == 7


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab cdé_1.THE and, été", max_size=40), min_size=1, max_size=12))
def test_tfidf_is_scikit_learns(texts):
    from sklearn.feature_extraction.text import TfidfVectorizer

    ours = tfidf(texts)
    try:
        theirs = TfidfVectorizer(stop_words="english", dtype=np.float32).fit_transform(texts)
    except ValueError:  # scikit-learn refuses an empty vocabulary: ours has no entries
        assert ours.nnz == 0 and ours.shape[0] == len(texts)
        return
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    # the same vectors up to the order of the columns: compare every pair's cosine and the norms
    assert np.allclose((ours @ ours.T).toarray(), (theirs @ theirs.T).toarray(), atol=1e-5)
    assert np.allclose(np.sort(ours.data), np.sort(theirs.data), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(alphabet="ab cdé_1.THE and, été", max_size=40), min_size=1, max_size=12),
    st.integers(min_value=1, max_value=5),
)
def test_term_counts_gathered_in_batches_give_the_same_vectors(texts, size):
    """What the export's converting processes hand on (term counts of a batch, its own
    vocabulary) gives exactly the matrix of `tfidf` over all the texts, columns in the same order."""
    matrix = stories.TermMatrix()
    for first in range(0, len(texts), size):
        matrix.add(stories.term_counts(texts[first : first + size]))
    assert len(matrix) == len(texts)
    gathered, whole = matrix.tfidf(), tfidf(texts)
    assert gathered.shape == whole.shape and len(matrix) == 0
    for name in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(gathered, name), getattr(whole, name)), name
