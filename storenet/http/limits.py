"""The request body limit every route shares (`Settings.max_body_bytes`).

A body announced larger than the limit is answered 413 before any of it is read; a
body without a length (chunked) is counted as it arrives and, past the limit, the
request ends in `BodyTooLarge` (answered 413) before any route acted on it: routes
read their whole body before they run.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storenet.errors import Problem
from storenet.http.problems import problem_response


class BodyTooLarge(Exception):
    """The request body is longer than the service reads."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


def too_large_response(limit: int):  # type: ignore[no-untyped-def]
    """The 413 problem document for a body over `limit` bytes."""
    problem = Problem("body", f"is larger than {limit} bytes (the service's limit)")
    return problem_response(
        413, "Request body too large", [problem], headers={"Connection": "close"}
    )


class BodyLimit:
    """ASGI middleware refusing request bodies over `limit` bytes with 413."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = dict(scope["headers"]).get(b"content-length")
        if announced is not None and announced.isdigit() and int(announced) > self.limit:
            await too_large_response(self.limit)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)
