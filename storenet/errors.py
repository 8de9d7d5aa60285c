"""Errors that carry data: every refusal names where, which field and why.

Edges (CLI, API) render these; domain code raises them and never formats for a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class Problem:
    """One reason an input was refused.

    `where` locates the input (``"line 12"``, ``"stores.csv row 7"``); `field` is the
    offending field name; `reason` is a sentence for a person; `value` is what was given.
    """

    field: str
    reason: str
    where: str = ""
    value: object = None

    def __str__(self) -> str:
        place = f"{self.where}: " if self.where else ""
        shown = "" if self.value is None else f" (got {self.value!r})"
        return f"{place}{self.field}: {self.reason}{shown}"


class StorenetError(Exception):
    """Base of every error storenet raises on purpose."""


@dataclass
class Refused(StorenetError):
    """Input refused as a whole; nothing of it was written."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"refused: {len(self.problems)} problem(s)"
        lines = [str(p) for p in self.problems[:20]]
        more = len(self.problems) - len(lines)
        tail = [f"... and {more} more"] if more > 0 else []
        return "\n".join([head, *lines, *tail])


@dataclass
class IdempotencyConflict(StorenetError):
    """The idempotency key was used before with a different payload."""

    key: str
    field: str
    first: object
    now: object

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"idempotency key {self.key!r} was used with a different payload: "
            f"{self.field} was {self.first!r}, now {self.now!r}"
        )


@dataclass
class InsufficientStock(StorenetError):
    """A reservation or warehouse allocation asked for more than is available."""

    location: str
    sku: str
    requested: int
    available: int

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"insufficient stock of {self.sku} at {self.location}: "
            f"requested {self.requested}, available {self.available}"
        )


@dataclass
class NotFound(StorenetError):
    """A named object does not exist."""

    kind: str
    key: str

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.kind} {self.key!r} not found"


@dataclass
class StatusConflict(StorenetError):
    """A document is not in a status `action` can start from: asked out of order, or a
    concurrent change won. Nothing was written. Edges answer 409.

    Each kind of document subclasses it with its name (`document`) and the statuses
    each action may start from (`needs`, {action: statuses}), which the message says."""

    document_id: str
    status: str
    action: str
    document: ClassVar[str] = "document"
    needs: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        needs = " or ".join(self.needs.get(self.action, ()))
        return (
            f"{self.document} {self.document_id} is {self.status}: {self.action} needs it "
            f"{needs}; nothing was changed"
        )
