"""POS: batch upload of sale and return lines (exactly once), serial look-up."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from storenet.accounts.access import require
from storenet.accounts.quotas import take_lines
from storenet.accounts.scope import visible_stores
from storenet.api.deps import CurrentPrincipal, IdempotencyKey, ServiceDep
from storenet.api.routes.common import act, exact_json
from storenet.errors import Problem, Refused
from storenet.ledger.checks import utc_now
from storenet.reports.product_view import serial_unit
from storenet.sales.ingest import ingest_pos_batch

router = APIRouter(tags=["pos"])


class PosLineIn(BaseModel):
    """One line as the till sent it (see storenet.sales.pos for the rules)."""

    model_config = ConfigDict(extra="forbid")

    store: str = Field(min_length=1, max_length=32)
    device: str = Field(min_length=1, max_length=64)
    receipt: str = Field(min_length=1, max_length=64)
    line: int = Field(ge=1, le=1_000_000)
    sku: str = Field(min_length=1, max_length=32)
    qty: int = Field(ge=1, le=1_000_000)
    # Bounded here because storenet.sales.pos crashes on a huge exponent ("1e999999").
    unit_price: (
        Annotated[str, Field(pattern=r"^\s*\d{1,13}(\.\d{1,2})?\s*$", max_length=20)]
        | Annotated[int, Field(ge=0, le=10**13)]
        | Annotated[float, Field(ge=0, le=1e13)]
    ) = Field(description="price of one unit, e.g. 12.50")
    at: str = Field(description="ISO 8601 time of the sale, with offset", max_length=40)
    kind: Literal["sale", "return"] = "sale"
    serials: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = None
    buyer: str | None = Field(default=None, max_length=128)


class PosBatchIn(BaseModel):
    lines: list[PosLineIn] = Field(min_length=1, max_length=10_000)


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
    openapi_extra=act("pos.upload"),
    summary="Upload a batch of POS lines, all or nothing, exactly once per Idempotency-Key",
)
def upload_batch(body: PosBatchIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep):
    """A POS device sends its own store's lines only. A replay of the same key and
    payload answers the first answer, byte for byte; the same key with another payload
    is refused (422) naming the first difference; over the device's quota: 429 with
    Retry-After, nothing written."""
    lines = [line.model_dump(exclude_unset=True) for line in body.lines]
    if len(lines) > svc.settings.pos_max_batch_lines:
        limit = svc.settings.pos_max_batch_lines
        raise Refused([Problem("lines", f"a batch holds at most {limit} lines", value=len(lines))])
    stores = {line["store"] for line in lines}
    settings = svc.settings

    def work(conn):  # type: ignore[no-untyped-def]
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
