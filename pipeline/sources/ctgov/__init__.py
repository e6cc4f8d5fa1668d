"""ClinicalTrials.gov API v2: request building and sending, and study parsing."""
