"""What the API's writes need beyond the caller (storenet.http.callers): the
Idempotency-Key header that makes a write happen once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from storenet.errors import Problem
from storenet.http.problems import BadRequest


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Client-chosen key; a replay returns the first answer",
        ),
    ] = None,
) -> str:
    """The request's Idempotency-Key header; BadRequest (400) when missing or unusable."""
    if key is None or not key.strip():
        raise BadRequest(Problem("Idempotency-Key", "header is required for this write"))
    if len(key) > 150:
        raise BadRequest(Problem("Idempotency-Key", "is longer than 150 characters", value=key))
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]
