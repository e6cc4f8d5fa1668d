"""NLP layer: the spaCy components (tokenizer, sentences, lexicons, NER, variants, cues, measures, triples)."""
