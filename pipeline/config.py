"""Configuration, resolved once at the edge: flags > environment > TOML file > defaults.

Library functions never read the environment or a global; the CLI builds one
``Settings`` and passes the parts each stage needs.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError

from schemas.errors import ConfigError
from schemas.resources import data_path
from schemas.vocab import (
    SERVICE_BIOC,
    SERVICE_CTGOV,
    SERVICE_EUROPEPMC,
    SERVICE_NCBI,
    FullTextFallback,
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


_MIB = 1024 * 1024
MAX_BODY_BYTES: dict[str, int] = {
    SERVICE_NCBI: 256 * _MIB,  # an efetch batch of PubMed records, a large PMC JATS article
    SERVICE_BIOC: 64 * _MIB,  # one article's BioC JSON
    SERVICE_CTGOV: 256 * _MIB,  # a /studies page of 1000 full records
    SERVICE_EUROPEPMC: 64 * _MIB,  # one search page or one full-text XML
}
"""Default body limits: several times the largest answer each service gives the pipeline."""


class HttpSettings(_Section):
    timeout: float = Field(30.0, description="seconds per request (connect and read)")
    max_retries: int = Field(5, description="retries on 429/5xx/connection errors")
    backoff_base: float = Field(1.0, description="first backoff in seconds, doubled each retry")
    backoff_max: float = Field(60.0, description="longest single wait, also caps Retry-After")
    cache: bool = Field(True, description="on-disk HTTP cache with conditional requests")
    user_agent: str = "oncotriples/0.1 (+https://github.com/oncotriples)"
    deadline: float = Field(
        300.0, gt=0, description="seconds one request may take in all (connect, headers, body); a trickling server is cut off"
    )
    max_body_bytes: dict[str, PositiveInt] = Field(
        default_factory=lambda: dict(MAX_BODY_BYTES),
        description="largest body per service, as received and as decompressed; a larger one fails its item",
    )
    max_body_default: int = Field(64 * _MIB, gt=0, description="largest body of a service not named in max_body_bytes")
    max_redirects: int = Field(5, ge=0, description="redirects followed per request, all within the service's scheme and host")
    rejected_keep_bytes: int = Field(64 * 1024, ge=0, description="how much of a rejected body the raw store keeps")

    def max_body(self, service: str) -> int:
        """The body limit of ``service`` in bytes."""
        return self.max_body_bytes.get(service, self.max_body_default)


class NcbiSettings(_Section):
    eutils_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    bioc_url: str = Field(
        "https://www.ncbi.nlm.nih.gov/research/bionlp/RESTful/pmcoa.cgi",
        description="BioC-PMC service; shares the E-utilities rate limit",
    )
    tool: str = Field("oncotriples", description="sent as E-utilities' tool parameter")
    email: str = Field("", description="sent as E-utilities' email parameter, so NCBI can reach the operator")
    api_key: str = Field("", description="NCBI API key (raises the rate limit)")
    requests_per_second: float = Field(3.0, description="10 is allowed with an api_key")


class CtgovSettings(_Section):
    url: str = "https://clinicaltrials.gov/api/v2"
    requests_per_second: float = 1.0
    page_size: int = 1000


class EuropePmcSettings(_Section):
    url: str = "https://www.ebi.ac.uk/europepmc/webservices/rest"
    requests_per_second: float = 3.0


class SourceSettings(_Section):
    dois: list[str] = Field(default_factory=list)
    pmids: list[str] = Field(default_factory=list)
    pmcids: list[str] = Field(default_factory=list)
    pubmed_queries: list[str] = Field(default_factory=list)
    min_year: int = 2019
    max_results_per_query: int = 50
    nct_ids: list[str] = Field(default_factory=list)
    follow_trials: bool = Field(True, description="fetch trials named by documents")
    full_text_fallback: list[FullTextFallback] = Field(
        default_factory=list,
        description="services asked, in this order, for the full text of an article PMC answers metadata-only for",
    )


class PipelineSettings(_Section):
    workdir: str = "work"
    releases_dir: str = "releases"
    state_db: str = Field("", description="SQLite state database; empty means <workdir>/state.sqlite")
    ner_model: str = Field("bundled", description="bundled | none | an installed scispaCy package name")
    demo_dir: str = Field("", description="raw-store snapshot used by --offline; empty means the bundled demo")
    workers: int = Field(0, ge=0, description="extraction worker processes (Dask LocalCluster); 0 means the cores available, 1 the serial path")
    scheduler: str = Field("", description="address of a running Dask scheduler (tcp://host:8786) to extract on instead of local workers")
    scheduler_timeout: float = Field(10.0, gt=0, description="seconds to wait for the Dask scheduler to answer")
    source_date_epoch: int | None = Field(
        None, ge=0, description="release creation time in Unix seconds (SOURCE_DATE_EPOCH, reproducible builds); unset means now"
    )


class Settings(_Section):
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    ncbi: NcbiSettings = Field(default_factory=NcbiSettings)
    ctgov: CtgovSettings = Field(default_factory=CtgovSettings)
    europepmc: EuropePmcSettings = Field(default_factory=EuropePmcSettings)
    sources: SourceSettings = Field(default_factory=SourceSettings)

    @property
    def workdir(self) -> Path:
        return Path(self.pipeline.workdir)

    @property
    def releases_dir(self) -> Path:
        return Path(self.pipeline.releases_dir)

    @property
    def state_db(self) -> Path:
        return Path(self.pipeline.state_db) if self.pipeline.state_db else self.workdir / "state.sqlite"


ENV_VARS: dict[str, tuple[str, str]] = {
    "ONCOTRIPLES_WORKDIR": ("pipeline", "workdir"),
    "ONCOTRIPLES_RELEASES_DIR": ("pipeline", "releases_dir"),
    "ONCOTRIPLES_STATE_DB": ("pipeline", "state_db"),
    "ONCOTRIPLES_NER_MODEL": ("pipeline", "ner_model"),
    "ONCOTRIPLES_WORKERS": ("pipeline", "workers"),
    "ONCOTRIPLES_SCHEDULER": ("pipeline", "scheduler"),
    "ONCOTRIPLES_CTGOV_URL": ("ctgov", "url"),
    "ONCOTRIPLES_EUTILS_URL": ("ncbi", "eutils_url"),
    "ONCOTRIPLES_BIOC_URL": ("ncbi", "bioc_url"),
    "ONCOTRIPLES_EUROPEPMC_URL": ("europepmc", "url"),
    "ONCOTRIPLES_NCBI_EMAIL": ("ncbi", "email"),
    "ONCOTRIPLES_NCBI_TOOL": ("ncbi", "tool"),
    "NCBI_API_KEY": ("ncbi", "api_key"),
    "ONCOTRIPLES_NCBI_API_KEY": ("ncbi", "api_key"),
    "SOURCE_DATE_EPOCH": ("pipeline", "source_date_epoch"),
}
"""Environment variables and the setting each one overrides."""

DEFAULT_CONFIG_NAME = "default_config.toml"


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def load_settings(
    config_file: Path | None = None,
    *,
    env: dict[str, str] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> Settings:
    """Resolve settings: bundled defaults < ``config_file`` < ``env`` < ``overrides`` (flags)."""
    merged = _read_toml(data_path(DEFAULT_CONFIG_NAME))
    if config_file is not None:
        merged = _deep_merge(merged, _read_toml(Path(config_file)))
    environ = os.environ if env is None else env
    env_layer: dict[str, dict[str, Any]] = {}
    for var, (section, key) in ENV_VARS.items():
        if environ.get(var):
            env_layer.setdefault(section, {})[key] = environ[var]
    merged = _deep_merge(merged, env_layer)
    if overrides:
        merged = _deep_merge(merged, {k: {kk: vv for kk, vv in v.items() if vv is not None} for k, v in overrides.items()})
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        where = config_file or data_path(DEFAULT_CONFIG_NAME)
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid setting {loc} (from {where} or environment): {first['msg']}") from exc
