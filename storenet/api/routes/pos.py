"""POS: batch upload of sale and return lines (exactly once), serial look-up."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from fastapi import APIRouter, Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from storenet.accounts.access import require
from storenet.accounts.quotas import take_lines
from storenet.accounts.scope import visible_stores
from storenet.accounts.tokens import resolve_token
from storenet.api.deps import IdempotencyKey
from storenet.api.routes.common import act, exact_json
from storenet.errors import Problem, Refused
from storenet.http.callers import CallerToken, CurrentPrincipal
from storenet.http.service import ServiceDep
from storenet.reports.product_view import serial_unit
from storenet.sales.ingest import ingest_pos_batch
from storenet.sales.pos import line_store
from storenet.store.clock import utc_now

router = APIRouter(tags=["pos"])


def _not_bool(value: object) -> object:
    # pydantic takes JSON true for the integer 1; a boolean is not a count or a price.
    if isinstance(value, bool):
        raise PydanticCustomError("bool_type", "must be a number, not a boolean")
    return value


Whole = Annotated[int, BeforeValidator(_not_bool)]
StoreId = Annotated[str, Field(min_length=1, max_length=32, description="the store's id")]
SkuId = Annotated[str, Field(min_length=1, max_length=32, description="the SKU's id")]


class PosLineIn(TypedDict):
    """One line as the till sent it (docs/data-formats.md; storenet.sales.pos has the
    rules). Give store_id and sku_id; store and sku, their first names, still work."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    store_id: NotRequired[StoreId]
    store: NotRequired[Annotated[StoreId, Field(description="store_id's first name")]]
    device: Annotated[str, Field(min_length=1, max_length=64)]
    receipt: Annotated[str, Field(min_length=1, max_length=64)]
    line: Annotated[Whole, Field(ge=1, le=1_000_000)]
    sku_id: NotRequired[SkuId]
    sku: NotRequired[Annotated[SkuId, Field(description="sku_id's first name")]]
    qty: Annotated[Whole, Field(ge=1, le=1_000_000)]
    # Bounded here because storenet.sales.pos crashes on a huge exponent ("1e999999").
    unit_price: Annotated[
        Annotated[str, Field(pattern=r"^\s*\d{1,13}(\.\d{1,2})?\s*$", max_length=20)]
        | Annotated[int, Field(ge=0, le=10**13)]
        | Annotated[float, Field(ge=0, le=1e13)],
        BeforeValidator(_not_bool),
        Field(description="price of one unit in currency units, e.g. 12.50"),
    ]
    at: Annotated[
        str,
        Field(
            description="ISO 8601 time of the sale with its UTC offset, at most a day ahead",
            max_length=40,
        ),
    ]
    kind: NotRequired[Annotated[Literal["sale", "return"], Field(description="sale by default")]]
    serials: NotRequired[list[Annotated[str, Field(min_length=1, max_length=64)]] | None]
    buyer: NotRequired[Annotated[str, Field(max_length=128)] | None]


class PosBatchIn(TypedDict):
    """A batch: 1 to 10,000 lines."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    lines: Annotated[list[PosLineIn], Field(min_length=1, max_length=10_000)]


# The batch is validated straight from the request's bytes into plain dicts (pydantic's
# JSON parser, no model objects): on a busy till fleet, FastAPI's json.loads + model
# validation + model_dump cost a third of a worker's time. Same rules, same errors.
_BATCH = TypeAdapter(PosBatchIn)


def _inline_defs(schema: dict) -> dict:
    """`schema` with its local $defs references replaced by their definitions (the
    request body schema sits inside the OpenAPI document, where "#/$defs" would not
    resolve)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inline_defs(_BATCH.json_schema())}},
    }
}


async def pos_lines(request: Request) -> list[dict]:
    """The request body's lines as dicts holding only the fields sent; a body that
    breaks the schema is refused (422) naming line, field and reason, like any other
    invalid request."""
    try:
        return _BATCH.validate_json(await request.body())["lines"]
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None


class PosBatchOut(BaseModel):
    batch: str
    lines: int
    accepted: int
    duplicates: int
    units_sold: int
    units_returned: int
    discrepancies: int


@router.post(
    "/pos/batches",
    response_model=PosBatchOut,
    openapi_extra={**act("pos.upload"), **_BATCH_BODY},
    summary="Upload a batch of POS lines, all or nothing, exactly once per Idempotency-Key",
)
def upload_batch(
    request: Request,
    token: CallerToken,
    key: IdempotencyKey,
    lines: Annotated[list[dict], Depends(pos_lines)],
    svc: ServiceDep,
):
    """A POS device sends its own store's lines only. A replay of the same key and
    payload answers the first answer, byte for byte; the same key with another payload
    is refused (422) naming the first difference; over the device's quota: 429 with
    Retry-After, nothing written."""
    settings = svc.settings
    if len(lines) > settings.pos_max_batch_lines:
        limit = settings.pos_max_batch_lines
        raise Refused([Problem("lines", f"a batch holds at most {limit} lines", value=len(lines))])
    # A line without a store is refused by the ingestion, naming it.
    stores = {store for store in map(line_store, lines) if store is not None}

    def work(conn):  # type: ignore[no-untyped-def]
        # The caller is looked up in the batch's own transaction: one connection and
        # one transaction per upload, the hot path of the whole service.
        who = resolve_token(conn, settings.secret, token)
        request.state.principal = who
        require(conn, who, "pos.upload", locations=stores)
        # In the batch's transaction: a refused batch (429) rolls back whole, and
        # every worker charges the same bucket.
        take_lines(
            conn,
            who.user_id,
            len(lines),
            settings.pos_lines_per_s,
            settings.pos_burst_lines,
            utc_now(),
        )
        return ingest_pos_batch(conn, key=who.key_prefix + key, lines=lines)

    answer = svc.write(work)
    return exact_json(answer)


@router.get(
    "/serials/{serial}",
    openapi_extra=act("serial.read"),
    summary="Where a serial-tracked unit is, and its movements",
)
def get_serial(
    serial: Annotated[str, Path(max_length=64)], who: CurrentPrincipal, svc: ServiceDep
) -> dict:
    """The unit's location, SKU and buyer reference, and every movement that carried
    it. Scoped callers see a unit only while it is in one of their stores, and only
    the movements that touched their stores."""

    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "serial.read")
        unit = serial_unit(conn, serial, visible_stores(conn, who))
        return {
            "serial": unit.serial,
            "sku_id": unit.sku_id,
            "location": unit.location,
            "buyer_ref": unit.buyer_ref,
            "movements": [
                {
                    "id": m.id,
                    "kind": m.kind,
                    "from": m.source,
                    "to": m.destination,
                    "occurred_at": m.occurred_at,
                    "document": m.document,
                }
                for m in unit.moves
            ],
        }

    return svc.read(work)
