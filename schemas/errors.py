"""Specific exception types; every message says what failed and where."""

from __future__ import annotations


class OncoTriplesError(Exception):
    """Base class for every error the pipeline raises on purpose."""


class ConfigError(OncoTriplesError):
    """Invalid or unreadable configuration."""


class InputError(OncoTriplesError):
    """An input file or id cannot be used (missing, empty, binary, wrong encoding …)."""


class ParseError(OncoTriplesError):
    """Raw bytes could not be turned into a record."""


class UnsafeXMLError(ParseError):
    """XML with entity declarations, external entities or a DTD expansion was refused."""


class FetchError(OncoTriplesError):
    """A network request failed after the allowed retries."""


class HTTPStatusError(FetchError):
    """A service answered with an error status (4xx other than 429, or 5xx after retries)."""

    def __init__(self, message: str, *, status: int, url: str) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class ServiceError(FetchError):
    """A service answered 200 with an error payload (HTML error page, <ERROR>, truncated body)."""


class RedirectError(FetchError):
    """A redirect leaves the service's scheme and host, or redirects go round in a loop."""


class ResponseTooLargeError(FetchError):
    """A response body (declared, received or decompressed) is larger than the service's limit."""


class DeadlineError(FetchError):
    """One request took longer in all than its deadline (a server trickling bytes)."""


class ModelNotInstalledError(OncoTriplesError):
    """A configured spaCy/scispaCy model package is not installed."""


class ServiceUnavailableError(OncoTriplesError):
    """A service the command cannot run without (a Dask scheduler named by ``--scheduler``) did not answer."""


class LockHeldError(OncoTriplesError):
    """Another job holds the work directory's lock."""


class ReleaseExistsError(OncoTriplesError):
    """A release version directory already exists and is never overwritten."""


class StorageError(OncoTriplesError):
    """A local file or database could not be read or written (read-only folder, full disk, damaged SQLite file)."""
