"""Word lists and gazetteers shared by the rules (`annotate.preannotate`), the re3d mapping
(`annotate.re3d`) and the tagger's features (`train.features`).

Editing any file here changes the rules' `model_version` (see `rules_version`).
"""
