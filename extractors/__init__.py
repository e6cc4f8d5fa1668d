"""Text cleanup, sentence splitting, entity and rule extractors and triple assembly (spaCy components)."""
