"""Fetchers for the public services; all go through ``pipeline.http.PoliteClient``."""

from pipeline.fetchers.bioc import BiocFetcher
from pipeline.fetchers.ctgov import CtgovFetcher
from pipeline.fetchers.europepmc import EuropePmcFetcher
from pipeline.fetchers.eutils import EutilsFetcher

__all__ = ["BiocFetcher", "CtgovFetcher", "EuropePmcFetcher", "EutilsFetcher"]
