"""The default skills' corpora, one module per concern: `common` (row format, sources and
licences, writing), `dialogues` (reading chitchat-dataset), `mining` (finding each skill's turns
in real conversations), `knowledge` (Factbook and WordNet questions), `split` (train / valid /
test and decontamination) and `checks` (the invariants every corpus must meet)."""
