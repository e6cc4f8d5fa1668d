"""NCBI's BioC API for PMC Open Access articles."""
