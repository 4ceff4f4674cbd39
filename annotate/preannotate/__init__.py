"""Rule-based pre-annotation: gazetteers, counts, actions and actors as one combined annotator.

annotator = RuleAnnotator()
annotated = annotator.annotate(document)   # an AnnotatedDocument: spans (offsets, label, score), relations
"""

from newsgold.annotate.preannotate.annotator import RuleAnnotator, resolve, rules_version
from newsgold.annotate.preannotate.merge import MergedAnnotator

__all__ = ["MergedAnnotator", "RuleAnnotator", "resolve", "rules_version"]
