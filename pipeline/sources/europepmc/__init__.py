"""Europe PMC REST API: request building and sending, and search-result parsing."""
