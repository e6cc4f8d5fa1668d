"""Source layer: the polite HTTP client, the raw store, and one api/parse pair per public service."""
