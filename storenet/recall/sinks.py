"""Where recall notifications go: the sink interface and its two sinks.

A sink is anything with `send(key, message)` that delivers `message` (a JSON-able dict)
at most once per `key`: a second send of a key it delivered already does nothing. The
outbox (storenet.recall.outbox) may send a key twice (the process died between the
send and marking the message sent, or the database retried the transaction), so the
sink's deduplication is what makes delivery exactly once per key.

- `FileSink` (the default): one JSON line per message in a file, read back for the keys
  it holds; a line cut short by a crash is closed off and sent again whole.
- `WebhookSink`: an HTTP POST of the message as JSON with the key in the
  `Idempotency-Key` header; the receiver must answer a key it has seen with 2xx and
  not act twice. Any other answer (or no answer) is a failure, retried later.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol

import httpx


class Sink(Protocol):
    """Delivers a message once per key (see the module docstring)."""

    def send(self, key: str, message: dict) -> None:
        """Deliver `message` under `key`; nothing if `key` was delivered already.
        Raises on failure (the outbox keeps the message and tries again later)."""


class SinkFailed(Exception):
    """The sink could not deliver a message."""


class FileSink:
    """Messages appended to a JSON Lines file, one per key."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._keys: set[str] | None = None

    def delivered(self) -> set[str]:
        """The keys the file holds (read once, then kept up to date)."""
        if self._keys is None:
            self._keys = set()
            if self.path.exists():
                raw = self.path.read_bytes()
                for line in raw.splitlines():
                    try:
                        self._keys.add(json.loads(line)["key"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a line cut short by a crash: its message goes again
                if raw and not raw.endswith(b"\n"):
                    with self.path.open("ab") as handle:
                        handle.write(b"\n")
        return self._keys

    def send(self, key: str, message: dict) -> None:
        """Append `message` with its key, flushed to disk, unless the key is there."""
        if key in self.delivered():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"key": key, **message}, sort_keys=True, default=str) + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        self.delivered().add(key)


class WebhookSink:
    """Messages POSTed as JSON to `url`, the key in the Idempotency-Key header."""

    def __init__(self, url: str, client: httpx.Client | None = None, timeout: float = 10.0):
        self.url = url
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, key: str, message: dict) -> None:
        """POST the message; SinkFailed unless the receiver answers 2xx."""
        try:
            answer = self.client.post(self.url, json=message, headers={"Idempotency-Key": key})
        except httpx.HTTPError as error:
            raise SinkFailed(f"{self.url}: {error}") from error
        if not 200 <= answer.status_code < 300:
            raise SinkFailed(f"{self.url} answered {answer.status_code}")
