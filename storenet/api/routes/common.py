"""Small helpers the routers share."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from starlette.responses import Response

from storenet import stockroom
from storenet.accounts.principal import Principal


def act(action: str) -> dict:
    """OpenAPI extra naming the route's action (see storenet.accounts.roles.POLICY)."""
    return {"x-storenet-action": action}


def once(
    conn: Connection, who: Principal, key: str, payload: Any, work: Callable[[], dict]
) -> dict:
    """Run an API write once per (caller, Idempotency-Key): a replay returns the first
    answer and writes nothing (no second audit entry either); another payload under
    the same key is refused naming the difference (`storenet.stockroom.once`, the one
    rule for every edge)."""
    return stockroom.once(conn, who, key, payload, work)


def exact_json(answer: Any, status: int = 200) -> Response:
    """`answer` as JSON with a fixed serialisation, so a replayed answer is the same
    bytes as the first."""
    body = json.dumps(answer, separators=(",", ":"), default=str)
    return Response(body, status_code=status, media_type="application/json")
