"""The console's stock desk for one store: receive the transfers shipped to it and the
supplier's deliveries, count, and hold, scrap or release units.

Every write goes through `storenet.stockroom`, the functions the API and the command
line call, so the page checks access, books stock and audits exactly as they do (the
page only hides the forms a role may not use; the service still checks). Each form
carries an idempotency key made when it was drawn, so a double submit replays the
first answer; a supplier delivery's key is its delivery note, so one note books once.
An answer re-renders the panel it came from: a message, or the refusal's reasons next
to the form (422 for bad input, 409 for too little stock or a key reused otherwise).

A store outside the caller's scope answers 404 exactly as an unknown one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote
from uuid import uuid4

from fastapi import APIRouter, Form, Path, Request
from sqlalchemy import Connection
from starlette.responses import Response

from storenet import stockroom
from storenet.accounts.access import answered_as, require
from storenet.accounts.principal import Principal
from storenet.accounts.roles import allowed
from storenet.errors import IdempotencyConflict, InsufficientStock, NotFound, Problem, Refused
from storenet.http.service import Service, ServiceDep
from storenet.reports.records import get_discrepancy, list_discrepancies
from storenet.reports.stock_desk import SHIPPED_LIMIT, Shipped, shipped_to, transfer_to
from storenet.reports.store_view import DISCREPANCY_LIMIT, StoreHeader, store_header
from storenet.web.layout import PREFIX, Viewer, render, templates

router = APIRouter(include_in_schema=False)

StoreId = Annotated[str, Path(min_length=1, max_length=32)]
Key = Annotated[str, Form(max_length=64)]
Entry = Annotated[str, Form(max_length=200)]
Many = Annotated[list[str], Form()]
DELIVERY_ROWS = 4

# The desk's forms and the policy's action each needs.
ACTIONS = {
    "transfer": "transfer.write",
    "delivery": "stock.receive",
    "count": "stock.count",
    "discrepancy": "discrepancy.resolve",
    "hold": "stock.hold",
    "scrap": "stock.scrap",
    "release": "stock.release",
}
# The one-SKU forms: name in the URL -> stockroom.ONE_SKU_COMMANDS name.
HOLD_COMMANDS = {"hold": "stock.hold", "scrap": "stock.scrap", "release": "stock.release"}
Command = Annotated[str, Path(pattern="^(hold|scrap|release)$")]


def desk_open(role: str) -> bool:
    """True when `role` may use at least one of the desk's forms (function scope; the
    store page links the desk for them)."""
    return any(allowed(role, action) for action in ACTIONS.values())


templates.env.globals["stock_desk_open"] = desk_open


@dataclass
class Desk:
    """What the desk shows for one store."""

    store: StoreHeader
    incoming: list[Shipped]
    more_incoming: bool
    discrepancies: list[dict]
    more_discrepancies: bool


@dataclass
class Note:
    """The answer to the last form sent: which form, a message or the problems, and
    what was entered (kept, with its key, when refused so it can be corrected)."""

    form: str
    message: str | None = None
    problems: list[Problem] = field(default_factory=list)
    entered: dict[str, Any] = field(default_factory=dict)


def _store(conn: Connection, who: Principal, store_id: str, form: str | None = None) -> StoreHeader:
    """The store's header once `who` may read its stock (else it answers as unknown)
    and, given a `form`, may use it there (Denied before any input is looked at)."""
    with answered_as("store", store_id):
        require(conn, who, "stock.read", locations=[store_id])
    if form is not None:
        require(conn, who, ACTIONS[form], locations=[store_id])
    return store_header(conn, store_id)


def _desk(conn: Connection, who: Principal, store_id: str) -> Desk:
    store = _store(conn, who, store_id)
    incoming = shipped_to(conn, store.location_id, SHIPPED_LIMIT)
    found = list_discrepancies(conn, None, store_id, "open", DISCREPANCY_LIMIT, 0)
    return Desk(
        store=store,
        incoming=incoming[:SHIPPED_LIMIT],
        more_incoming=len(incoming) > SHIPPED_LIMIT,
        discrepancies=found[:DISCREPANCY_LIMIT],
        more_discrepancies=len(found) > DISCREPANCY_LIMIT,
    )


def _context(who: Principal) -> dict:
    return {
        "can": {form: allowed(who.role, action) for form, action in ACTIONS.items()},
        "new_key": lambda: uuid4().hex,
        "delivery_rows": DELIVERY_ROWS,
        "desk_url": lambda store_id, *tail: "/".join(
            [f"{PREFIX}/stores/{quote(store_id)}/stock-desk", *(quote(t) for t in tail)]
        ),
    }


@router.get(PREFIX + "/stores/{store_id}/stock-desk")
def stock_desk(request: Request, store_id: StoreId, who: Viewer, svc: ServiceDep) -> Response:
    """The stock desk of one store: its panels with the forms the caller's role may
    use; 404 for an unknown store and for one outside the caller's scope alike."""
    desk = svc.read(lambda conn: _desk(conn, who, store_id))
    return render(request, "stock_desk.html", who, desk=desk, note=None, **_context(who))


def _answer(
    request: Request,
    who: Principal,
    svc: Service,
    store_id: str,
    panel: str,
    note: Note,
    write: Callable[[Connection], str],
    also: tuple[str, ...] = (),
) -> Response:
    """Run `write` (returns the success message) in one transaction and re-render
    `panel` with its answer: 200, 422 (Refused), 409 (InsufficientStock, a key reused
    with another payload), and the panels `also` it may have changed (swapped out of
    band). Denied and NotFound go to the app's error pages."""
    status = 200
    try:
        note.message = svc.write(write)
        note.entered = {}
    except Refused as refused:
        status, note.problems = 422, refused.problems
    except InsufficientStock as short:
        status = 409
        note.problems = [
            Problem(
                "qty", f"only {short.available} of {short.sku} free here", value=short.requested
            )
        ]
    except IdempotencyConflict as conflict:
        status = 409
        note.problems = [
            Problem(
                conflict.field,
                "differs from the first time this form (or this delivery note) was sent:"
                " it was booked then, nothing was changed now",
                value=conflict.now,
            )
        ]
    desk = svc.read(lambda conn: _desk(conn, who, store_id))
    return render(
        request,
        "stock_desk_answer.html",
        who,
        status=status,
        panel=panel,
        also=also if status == 200 else (),
        desk=desk,
        note=note,
        **_context(who),
    )


def _whole(text: str, name: str, where: str = "", least: int = 0) -> int:
    """`text` as a whole number of at least `least`, or Refused naming `name`."""
    try:
        value = int(text.strip())
    except ValueError:
        value = None
    if value is None or value < least or value > 10**9:
        reason = "must be a whole number" + (f" of at least {least}" if least else ", zero or more")
        raise Refused([Problem(name, reason, where, text)])
    return value


def _key(key: str) -> str:
    if not key.strip():
        raise Refused([Problem("key", "is missing: reload the page and send the form again")])
    return "desk:" + key.strip()


# -- transfers ---------------------------------------------------------------------------


@router.post(PREFIX + "/stores/{store_id}/stock-desk/transfers/{transfer_id}")
def desk_receive_transfer(
    request: Request,
    store_id: StoreId,
    transfer_id: Annotated[str, Path(min_length=1, max_length=64)],
    who: Viewer,
    svc: ServiceDep,
    key: Key = "",
    sku: Many = [],  # noqa: B006 (FastAPI copies form defaults)
    qty: Many = [],  # noqa: B006
    serial: Many = [],  # noqa: B006
) -> Response:
    """Receive a transfer shipped to this store (transfer.write, audited once per key).
    `sku`/`qty` pairs are the units counted per SKU and `serial` the shipped serials
    ticked as arrived; only what differs from the shipment is sent to the ledger (a SKU
    as shipped arrives as shipped)."""
    entered = {"key": key, "qty": dict(zip(sku, qty, strict=False)), "serials": set(serial)}
    note = Note(f"transfer-{transfer_id}", entered=entered)

    def write(conn: Connection) -> str:
        store = _store(conn, who, store_id, "transfer")
        shipped = transfer_to(conn, store.location_id, transfer_id)
        if shipped is None:
            raise NotFound("transfer", transfer_id)
        received, received_serials = _differences(shipped, entered["qty"], serial)
        done = stockroom.receive_shipped_transfer(
            conn,
            who,
            key=_key(key),
            transfer_id=transfer_id,
            received=received or None,
            received_serials=received_serials or None,
        )
        opened = done["discrepancies"]  # how many the receipt opened
        counts = "1 discrepancy" if opened == 1 else f"{opened} discrepancies"
        tail = f"; {counts} opened to count" if opened else ", as shipped"
        return f"Transfer {transfer_id} received{tail}."

    # A receipt short or over opens discrepancies: the count panel lists them.
    return _answer(request, who, svc, store_id, "transfers", note, write, also=("count",))


def _differences(
    shipped: Shipped, counted: dict[str, str], ticked: list[str]
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """What arrived that differs from the shipment: units per plain SKU, serials per
    serial-tracked SKU. A SKU left as shipped is not named (the ledger books it as
    shipped). Refused naming the field for a count that is not a number, a SKU or a
    serial not on the transfer."""
    problems: list[Problem] = []
    lines = {line.sku_id: line for line in shipped.lines}
    problems += [
        Problem("sku", "is not on this transfer", value=s)
        for s in sorted(set(counted) - set(lines))
    ]
    sku_of = {s: line.sku_id for line in shipped.lines for s in line.serials}
    problems += [
        Problem("serial", "was not shipped on this transfer", value=s)
        for s in sorted(set(ticked) - set(sku_of))
    ]
    received: dict[str, int] = {}
    received_serials: dict[str, list[str]] = {}
    for sku, line in lines.items():
        if line.serial_tracked:
            arrived = sorted(s for s in set(ticked) if sku_of.get(s) == sku)
            if arrived != line.serials:
                received_serials[sku] = arrived
        elif sku in counted:
            try:
                units = _whole(counted[sku], "qty", sku)
            except Refused as refused:
                problems += refused.problems
                continue
            if units != line.qty_shipped:
                received[sku] = units
    if problems:
        raise Refused(problems)
    return received, received_serials


# -- supplier deliveries -----------------------------------------------------------------


@router.post(PREFIX + "/stores/{store_id}/stock-desk/deliveries")
def desk_delivery(
    request: Request,
    store_id: StoreId,
    who: Viewer,
    svc: ServiceDep,
    note: Annotated[str, Form(max_length=64)] = "",
    sku: Many = [],  # noqa: B006
    qty: Many = [],  # noqa: B006
    serials: Many = [],  # noqa: B006
) -> Response:
    """Book a supplier delivery (stock.receive, audited): rows of SKU, units and, for a
    serial-tracked SKU, its serials one a line; empty rows are skipped. Booked once per
    delivery note `note`: sending the same note again replays the first answer."""
    rows = [
        (s.strip(), q.strip(), t)
        for s, q, t in zip(sku, qty, serials or [""] * len(sku), strict=False)
        if s.strip() or q.strip()
    ]
    entered = {"note": note, "rows": rows}
    answer = Note("delivery", entered=entered)

    def write(conn: Connection) -> str:
        _store(conn, who, store_id, "delivery")
        document = note.strip()
        problems = [] if document else [Problem("note", "is required: the delivery note number")]
        if not rows:
            problems.append(Problem("sku", "is required: at least one line"))
        lines = []
        for i, (s, q, t) in enumerate(rows, start=1):
            try:
                line: dict[str, Any] = {"sku": s, "qty": _whole(q, "qty", f"line {i}")}
            except Refused as refused:
                problems += refused.problems
                continue
            named = [x.strip() for x in t.splitlines() if x.strip()]
            if named:
                line["serials"] = named
            lines.append(line)
        if problems:
            raise Refused(problems)
        done = stockroom.receive_delivery(
            conn,
            who,
            key=f"receipt:{store_id}:{document}",
            location=store_id,
            lines=lines,
            document=document,
        )
        return f"Delivery note {document} booked: {done['units']} units on {len(lines)} lines."

    return _answer(request, who, svc, store_id, "delivery", answer, write)


# -- counts ------------------------------------------------------------------------------


@router.post(PREFIX + "/stores/{store_id}/stock-desk/counts")
def desk_count(
    request: Request,
    store_id: StoreId,
    who: Viewer,
    svc: ServiceDep,
    key: Key = "",
    sku: Entry = "",
    counted: Entry = "",
) -> Response:
    """Book a count of one SKU (stock.count, audited): `counted` units found."""
    note = Note("count", entered={"key": key, "sku": sku, "counted": counted})

    def write(conn: Connection) -> str:
        _store(conn, who, store_id, "count")
        units = _whole(counted, "counted")
        done = stockroom.count(
            conn, who, key=_key(key), location=store_id, sku=sku.strip(), counted=units
        )
        return f"Count of {sku.strip()} booked: {done['before']} on hand before, {units} now."

    return _answer(request, who, svc, store_id, "count", note, write)


@router.post(PREFIX + "/stores/{store_id}/stock-desk/discrepancies/{discrepancy_id}")
def desk_resolve(
    request: Request,
    store_id: StoreId,
    discrepancy_id: Annotated[int, Path(ge=1, le=2**62)],
    who: Viewer,
    svc: ServiceDep,
    key: Key = "",
    counted: Entry = "",
) -> Response:
    """Resolve an open discrepancy of this store by counting its SKU
    (discrepancy.resolve, audited as a count)."""
    note = Note(f"discrepancy-{discrepancy_id}", entered={"key": key, "counted": counted})

    def write(conn: Connection) -> str:
        _store(conn, who, store_id, "discrepancy")
        if get_discrepancy(conn, discrepancy_id)["location"] != store_id:
            raise NotFound("discrepancy", str(discrepancy_id))
        units = _whole(counted, "counted")
        stockroom.resolve_discrepancy(
            conn, who, key=_key(key), discrepancy_id=discrepancy_id, counted=units
        )
        return f"Discrepancy {discrepancy_id} counted: {units} units found."

    return _answer(request, who, svc, store_id, "count", note, write)


# -- hold, scrap, release ----------------------------------------------------------------


@router.post(PREFIX + "/stores/{store_id}/stock-desk/{command}")
def desk_hold(
    request: Request,
    store_id: StoreId,
    command: Command,
    who: Viewer,
    svc: ServiceDep,
    key: Key = "",
    sku: Entry = "",
    qty: Entry = "",
    reason: Entry = "",
    from_held: Annotated[bool, Form()] = False,
) -> Response:
    """Hold units off sale (stock.hold), write them off (stock.scrap; free units, or
    held ones with `from_held`) or put held units back on sale (stock.release), with a
    reason kept in the audit entry."""
    entered = {"key": key, "sku": sku, "qty": qty, "reason": reason, "from_held": from_held}
    note = Note(command, entered=entered)

    def write(conn: Connection) -> str:
        _store(conn, who, store_id, command)
        units = _whole(qty, "qty", least=1)
        problems = [] if reason.strip() else [Problem("reason", "is required: say why")]
        if problems:
            raise Refused(problems)
        more = {"from_held": from_held} if command == "scrap" else {}
        stockroom.stock_command(
            conn,
            who,
            HOLD_COMMANDS[command],
            key=_key(key),
            location=store_id,
            sku=sku.strip(),
            qty=units,
            reason=reason.strip(),
            **more,
        )
        done = {"hold": "held off sale", "scrap": "written off", "release": "back on sale"}
        return f"{units} of {sku.strip()} {done[command]}."

    return _answer(request, who, svc, store_id, "hold", note, write)
