"""Refusals of the access layer, carrying data for the edge to render."""

from __future__ import annotations

from dataclasses import dataclass

from storenet.errors import StorenetError


@dataclass
class NotAuthenticated(StorenetError):
    """No valid credentials: missing, unknown, expired, revoked or of a disabled user."""

    reason: str = "valid credentials are required"

    def __post_init__(self) -> None:
        super().__init__(self.reason)


@dataclass
class Denied(StorenetError):
    """The principal may not do `action` (function scope) or not on `target`.

    `hidden` asks the edge to answer exactly as NotFound(kind, target) would (404), so
    a franchisee cannot learn which of another's objects exist.
    """

    action: str
    target: str = ""
    reason: str = "not allowed"
    hidden: bool = False
    kind: str = "location"

    def __post_init__(self) -> None:
        super().__init__(f"{self.action} on {self.target or '-'}: {self.reason}")


@dataclass
class Throttled(StorenetError):
    """Too many attempts; try again after `retry_after` seconds."""

    what: str
    retry_after: int

    def __post_init__(self) -> None:
        super().__init__(f"{self.what}: try again in {self.retry_after} s")
