"""Rule-based pre-annotation: gazetteers, counts, actions and actors as one combined annotator.

    annotator = RuleAnnotator()
    annotation = annotator.annotate(text)   # spans (character offsets, label, score), relations
"""

from annotate.preannotate.annotator import (
    Annotation,
    RuleAnnotator,
    prediction_record,
    resolve,
    rules_version,
)

__all__ = ["Annotation", "RuleAnnotator", "prediction_record", "resolve", "rules_version"]
