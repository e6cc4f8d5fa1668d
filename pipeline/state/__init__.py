"""Run state: the SQLite database of runs, documents, triples and curation decisions."""
