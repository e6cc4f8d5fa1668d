"""A scripted raw-socket HTTP server on 127.0.0.1 for the fault checks and their tests.

It writes exactly the bytes an answer yields (a lying ``Content-Length``, headers one byte at a
time), which an HTTP framework would not send; every answer ends on its own within seconds.
Shared by ``scripts/faults/http.py`` and ``tests/test_http_faults.py``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[[Seen], Iterator[bytes]]
"""The pieces of one answer, written in order; the generator may pause between them."""


@dataclass
class RawServer:
    """A 127.0.0.1 HTTP server that writes what ``answer`` yields, then closes the connection."""

    answer: Answer
    seen: list[Seen] = field(default_factory=list)
    sent: int = 0

    def __post_init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def close(self) -> None:
        self._stop.set()
        self._sock.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                seen = _read_request(conn)
                if seen is None:
                    return
                with self._lock:
                    self.seen.append(seen)
                for piece in self.answer(seen):
                    if self._stop.is_set():
                        return
                    conn.sendall(piece)
                    with self._lock:
                        self.sent += len(piece)
            except OSError:
                return  # the client hung up, as it should on a bad answer


def _read_request(conn: socket.socket) -> Seen | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers.get("content-length") or 0):
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Seen(method, target, headers, body)


def head(status: int, headers: dict[str, str] | None = None, *, length: int | None = None) -> bytes:
    """Status line and headers; ``length`` is the ``Content-Length`` claimed (None: close-delimited)."""
    lines = [f"HTTP/1.1 {status} X", "Connection: close", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def ok(body: bytes, ctype: str = "application/json") -> Iterator[bytes]:
    yield head(200, {"Content-Type": ctype}, length=len(body)) + body


def redirect(status: int, location: str) -> Iterator[bytes]:
    yield head(status, {"Location": location}, length=0)
