"""Pagination for every list that can be long: `limit` and `offset` in, a page out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")
MAX_LIMIT = 1000


@dataclass(frozen=True)
class PageAsk:
    limit: int
    offset: int


def page_ask(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9, description="items to skip")] = 0,
) -> PageAsk:
    return PageAsk(limit, offset)


PageDep = Annotated[PageAsk, Depends(page_ask)]


class Page(BaseModel, Generic[T]):
    """One page of a list; `next_offset` is null on the last page."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None


def page_of(rows: list, ask: PageAsk) -> dict:
    """A page from `rows` fetched with limit + 1 (the extra row only says "more")."""
    more = len(rows) > ask.limit
    return {
        "items": rows[: ask.limit],
        "limit": ask.limit,
        "offset": ask.offset,
        "next_offset": ask.offset + ask.limit if more else None,
    }
