"""The rules and a trained model as one pre-annotator, merged per label.

    merged = MergedAnnotator(RuleAnnotator().warm_up(), TaggerAnnotator(tagger, version))
    merged.annotate(document)   # spans of both, merged by POLICY; relations by the relation rules

The model is any `Preannotator` whose spans fall on newsgold's token boundaries (the tagger's
do: it reads the same tokens); its `labels` attribute names the labels it learned (default:
every label). Both propose spans; a policy (`POLICIES`) decides which survive, and the rules'
relation builder then links the kept spans, so an ACTION the rules found still gets the ACTOR
the model found as its agent. `tests/bench/bench_merge.py` measures every policy; the default
is the one chosen there (see `DEFAULT_POLICY`).

A model that says it draws relations itself (`relations == "linker"`: a tagger whose folder's
argument linker scored better than the rules on its development gold, train/linker.py) links
the kept spans instead, through its duck-typed `link(doc, spans)` (the rules' interface:
(head index, tail index, type, score) into the kept Candidates); `annotate` never imports `train`.
"""

from __future__ import annotations

from functools import partial
from itertools import islice
from typing import Callable, Iterable, Iterator

from newsgold.annotate.documents import Document
from newsgold.annotate.errors import SpanError
from newsgold.annotate.preannotate.annotator import RuleAnnotator, resolve
from newsgold.annotate.preannotate.view import Candidate, DocView, covered, mark, overlaps
from newsgold.annotate.preannotator import AnnotatedDocument, Preannotator, annotate_all, mean_score
from newsgold.annotate.resources.lexicon import PRONOUNS_AND_FUNCTION
from newsgold.annotate.spans import Relation

# Labels the rules keep even where a model of other conventions learned them (re3d-style corpora
# mark every quantity, and their actions are not ours); a model trained on gold under our own
# guidelines (`OWN_GOLD`) is trusted for every label it learned.
RULES_ONLY = frozenset({"COUNT", "ACTION"})
BATCH = 256  # documents handed to the model at once (the tagger decodes batches)

Policy = Callable[[list[Candidate], list[Candidate], frozenset], list[Candidate]]

# Words our guidelines leave out at a span's start (determiners, possessives) or never label
# alone (pronouns); a model trained on another corpus's conventions (re3d marks "the Coalition",
# "he", "the country") has its spans read under ours by `conform`.
_LEADING = frozenset("the a an this that these those our their his her its my your".split())
_PRONOUNS = frozenset(w.lower() for w in PRONOUNS_AND_FUNCTION) | frozenset("us them him me it i".split())
_DEMONSTRATIVES = frozenset("this that these those".split())


def conform(doc: DocView, spans: list[Candidate]) -> list[Candidate]:
    """The model's spans under our guidelines: leading determiners and possessives and trailing
    punctuation left out; pronouns, descriptive references ("this terrorist group") and generic
    places (a LOCATION without a capitalised word: "the country", "here") not labelled."""
    kept = []
    for c in spans:
        start, end = c.start, c.end
        if doc.lower[start] in _DEMONSTRATIVES and c.label == "ACTOR":
            continue
        while start < end and doc.lower[start] in _LEADING:
            start += 1
        while start < end and not doc.words[end - 1][0].isalnum():
            end -= 1
        words = doc.words[start:end]
        if not words or all(w.lower() in _PRONOUNS for w in words):
            continue
        if c.label == "LOCATION" and not any(w[0].isupper() for w in words):
            continue
        kept.append(c._replace(start=start, end=end))
    return kept


def rules_alone(rules: list[Candidate], model: list[Candidate], learned: frozenset) -> list[Candidate]:
    return rules


def model_alone(rules: list[Candidate], model: list[Candidate], learned: frozenset) -> list[Candidate]:
    return model


def _agreed(rules: list[Candidate], model: list[Candidate]) -> list[Candidate]:
    """The rule spans, each one the model proposes too (same words, same label) scored
    1 - (1 - a)(1 - b): two independent sources agreeing."""
    found = {(c.start, c.end, c.label): c.score for c in model}
    return [
        c
        if (c.start, c.end, c.label) not in found
        else c._replace(score=1 - (1 - c.score) * (1 - found[c.start, c.end, c.label]))
        for c in rules
    ]


def fill(rules: list[Candidate], model: list[Candidate], learned: frozenset, minimum: float = 0.0) -> list[Candidate]:
    """Every rule span (raised where the model agrees), and the model's spans of labels it learned
    (those the merge takes from it: `MergedAnnotator.learned`) scoring at least `minimum` where no rule span lies: the model only
    adds what the rules missed."""
    taken = covered(rules, max((c.end for c in rules + model), default=0))
    added = [c for c in model if c.label in learned and c.score >= minimum and not overlaps(taken, c)]
    return sorted(_agreed(rules, model) + added, key=lambda c: c.start)


def split(rules: list[Candidate], model: list[Candidate], learned: frozenset) -> list[Candidate]:
    """The model for the labels it learned (those the merge takes from it: `MergedAnnotator.learned`), the rules for the others;
    where the two overlap, the longer span wins (then the better scored: `resolve`)."""
    mine = [c for c in model if c.label in learned]
    theirs = [c for c in rules if c.label not in learned]
    return resolve(mine + theirs)


def union(rules: list[Candidate], model: list[Candidate], learned: frozenset) -> list[Candidate]:
    """Both sets of spans (the model's for labels it learned, COUNT and ACTION aside); a span
    both propose scores 1 - (1 - a)(1 - b), and overlaps are settled by score, then length."""
    at = {(c.start, c.end, c.label) for c in rules}
    pool = _agreed(rules, model) + [c for c in model if c.label in learned and (c.start, c.end, c.label) not in at]
    ordered = sorted(pool, key=lambda c: (-c.score, -(c.end - c.start), c.start))
    taken = bytearray(max((c.end for c in pool), default=0))
    kept = []
    for c in ordered:
        if not overlaps(taken, c):
            mark(taken, c)
            kept.append(c)
    return sorted(kept, key=lambda c: c.start)


POLICIES: dict[str, Policy] = {}  # name -> policy, in the order registered
CONFORMED: dict[str, Policy] = {}  # the policies whose model spans are first read under our guidelines (`conform`)


def register_policy(name: str, policy: Policy, *, conformed: bool = False) -> Policy:
    """Add the merge policy `name` to POLICIES (and to CONFORMED when the model's spans are first
    read under our guidelines); a name is registered once."""
    if name in POLICIES:
        raise ValueError(f"merge policy {name!r} is registered already")
    POLICIES[name] = policy
    if conformed:
        CONFORMED[name] = policy
    return policy


# The merge policies, registered in this one place (tests/bench/bench_merge.py measures each).
_PLAIN = {"rules": rules_alone, "model": model_alone, "fill": fill, "split": split, "union": union}
for _name, _policy in _PLAIN.items():
    register_policy(_name, _policy)
for _name, _policy in _PLAIN.items():
    if _name != "rules":
        register_policy(f"{_name}+guidelines", _policy, conformed=True)
for _minimum in (0.5, 0.7, 0.8, 0.9):
    register_policy(f"fill+guidelines>={_minimum}", partial(fill, minimum=_minimum), conformed=True)
# Chosen by tests/bench/bench_merge.py: the lowest threshold at which a tagger trained on re3d
# costs no precision on our own gold (seeds + held-out) against the rules alone; every lower
# threshold, and every policy without one, did (see the README's figures).
DEFAULT_POLICY = "fill+guidelines>=0.9"
# A model trained on gold made in Label Studio, people correcting newsgold's pre-annotations under
# its guidelines, has learned those conventions: it is trusted for the labels it learned and the
# rules keep COUNT, ACTION and the rest (why: docs/decisions.md, "Merging a model trained on our gold").
OWN_GOLD_POLICY = "split"
# Where gold under our guidelines was made: in Label Studio by a team correcting newsgold's
# pre-annotations, or the starter gold newsgold ships (train/starter.py).
OWN_GOLD = frozenset({"label-studio", "starter-gold"})


# The starter model (train/starter.py), merged with rules that follow the same guidelines: chosen
# on the starter gold's development split (`tests/bench/bench_starter.py --dev --policies`), where
# the guarded fill kept the rules' precision and their relations and added the model's confident
# spans (ACTION and COUNT included, its gold being ours), and `split` lost to it.
STARTER_POLICY = DEFAULT_POLICY


def policy_for(model: Preannotator) -> str:
    """The merge policy for `model`: OWN_GOLD_POLICY when its training gold was made in Label
    Studio (`annotated_in`), else DEFAULT_POLICY, which guards our guidelines against a corpus's
    other conventions (re3d, other tools' gold, or unknown)."""
    where = getattr(model, "annotated_in", None)
    if where == "starter-gold":
        return STARTER_POLICY
    return OWN_GOLD_POLICY if where in OWN_GOLD else DEFAULT_POLICY


class MergedAnnotator:
    """The rules and a trained model as one `Preannotator`, under `<rules version>+<model version>`
    (a policy other than the default is named too: `...+<model version>~<policy>`). A document's
    score is the model's confidence in it when the model gives one, else the mean score of the
    merged spans."""

    def __init__(self, rules: RuleAnnotator, model: Preannotator, policy: str | None = None):
        policy = policy_for(model) if policy is None else policy
        if policy not in POLICIES:
            raise ValueError(f"unknown merge policy {policy!r}; one of {', '.join(POLICIES)}")
        self.rules, self.model, self.policy = rules, model, policy
        learned = frozenset(getattr(model, "labels", None) or rules.labels)
        # what the policies may take from the model: every label it learned when its gold follows
        # our guidelines, else those labels but COUNT and ACTION
        self.learned = learned if getattr(model, "annotated_in", None) in OWN_GOLD else learned - RULES_ONLY
        # the model's own relation builder replaces the rules' when it says it draws the relations
        self.links = getattr(model, "relations", None) == "linker" and callable(getattr(model, "link", None))

    @property
    def model_version(self) -> str:
        suffix = "" if self.policy == DEFAULT_POLICY else f"~{self.policy}"
        return f"{self.rules.model_version}+{self.model.model_version}{suffix}"

    def annotate(self, document: Document) -> AnnotatedDocument:
        return next(self.annotate_many([document]))

    def annotate_many(self, documents: Iterable[Document]) -> Iterator[AnnotatedDocument]:
        """Documents pre-annotated in order, handed to the model BATCH at a time."""
        documents = iter(documents)
        while batch := list(islice(documents, BATCH)):
            predicted = list(annotate_all(self.model, batch))
            for one, doc in zip(predicted, self.rules.views([p.document.text for p in predicted])):
                yield self._merge(one, doc)

    def _merge(self, predicted: AnnotatedDocument, doc: DocView) -> AnnotatedDocument:
        document = predicted.document
        first = {start: i for i, start in enumerate(doc.starts)}
        after = {end: i + 1 for i, end in enumerate(doc.ends)}
        model = []
        for span in predicted.spans:
            if span.start not in first or span.end not in after:
                raise SpanError(
                    f"document {document.id}: the model's span {span.label} [{span.start}, {span.end}) "
                    f"{span.text!r} does not fall on token boundaries; a model merged with the rules "
                    "must predict over newsgold's tokens (newsgold.annotate.tokens)"
                )
            model.append(Candidate(first[span.start], after[span.end], span.label, span.score or 0.0))
        model = doc.within_lines(model)  # as the rules' and the tagger's: no span across a line break
        if self.policy in CONFORMED:
            model = conform(doc, model)
        kept = POLICIES[self.policy](self.rules.resolved(doc), model, self.learned)
        spans, relations = self.rules.finish(doc, kept)
        if self.links:
            relations = tuple(
                Relation(spans[head].id, spans[tail].id, label, score)
                for head, tail, label, score in self.model.link(doc, kept)
            )
        score = predicted.score if predicted.score is not None else mean_score(spans)
        return AnnotatedDocument(document, spans, relations, self.model_version, score=score)


def load_merged(folder, schema_hash: str, rules: RuleAnnotator | None = None) -> MergedAnnotator:
    """The rules merged with the model in `folder`, opened by the loader of the model kind its
    manifest names (`annotate.preannotate.models`: an entry point of the group `newsgold.models`;
    `annotate` never imports `train`). A NewsgoldError naming the folder when it is not a folder,
    its kind is not installed, or the loader refuses the model (not a model, forged or damaged,
    another schema)."""
    from newsgold.annotate.preannotate.models import load_preannotator

    return MergedAnnotator(rules or RuleAnnotator().warm_up(), load_preannotator(folder, schema_hash))
