"""newsgold train: the baseline sequence tagger trained on an exported newsgold dataset."""
