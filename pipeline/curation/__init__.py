"""Curation: decisions, the review table, CSV export/import and the review web app."""
