"""Errors as problem documents (RFC 9457 shape): every refusal names field, value and
reason in `problems`, and the HTTP status says what kind of refusal it is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.responses import Response

from storenet.errors import Problem, StorenetError


@dataclass
class BadRequest(StorenetError):
    """A request missing something every such request needs (400)."""

    problem: Problem

    def __post_init__(self) -> None:
        super().__init__(str(self.problem))


@dataclass
class Conflict(StorenetError):
    """The request conflicts with work in progress (409); try again later."""

    problem: Problem

    def __post_init__(self) -> None:
        super().__init__(str(self.problem))


class ProblemItem(BaseModel):
    """One reason: where in the input, which field, why, and the value given."""

    field: str
    reason: str
    where: str = ""
    value: Any = None


class ProblemDocument(BaseModel):
    """The body of every error answer."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    problems: list[ProblemItem]


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def problem_response(
    status: int,
    title: str,
    problems: list[Problem],
    detail: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem document answer with `status`."""
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or (str(problems[0]) if problems else title),
        "problems": [
            {"field": p.field, "reason": p.reason, "where": p.where, "value": _jsonable(p.value)}
            for p in problems
        ],
    }
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )


_DOC = {"model": ProblemDocument, "content": {"application/problem+json": {}}}
# Documented on every route, so a client (and the fuzzer) knows each answer's shape.
ERROR_RESPONSES: dict[int | str, dict] = {
    400: {"description": "Bad request (e.g. no Idempotency-Key)", **_DOC},
    401: {"description": "No valid credentials", **_DOC},
    403: {"description": "Not allowed for this role, or refused by CSRF/Origin checks", **_DOC},
    404: {"description": "No such object, or not in the caller's scope", **_DOC},
    409: {"description": "Conflict (insufficient stock, a concurrent duplicate)", **_DOC},
    413: {"description": "The request body is larger than the service reads", **_DOC},
    422: {"description": "Refused input: names the line, field, value and reason", **_DOC},
    429: {"description": "Too many requests; see Retry-After", **_DOC},
}
