"""NCBI E-utilities (PubMed and PMC): request building and sending, and response parsing."""
