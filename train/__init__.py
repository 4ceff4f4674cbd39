"""newsgold train: the baseline sequence tagger, trained on a dataset exported by `annotate`.

from newsgold.train import fit, evaluate, predict, learning_curve
"""

_API = ("Evaluation", "Prediction", "evaluate", "fit", "predict")
# the tagger's feature kinds (`train fit --features`), the default first; here, where the command
# line reads them without importing the tagger's modules
FEATURES = ("pipeline", "plain")


def __getattr__(name: str):
    if name in _API:
        from newsgold.train import api

        return getattr(api, name)
    if name == "learning_curve":
        from newsgold.train.curve import learning_curve

        return learning_curve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [*_API, "learning_curve"]
