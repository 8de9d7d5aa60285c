"""The decisions people take on a transfer: create a draft, ship it, cancel it, each
with its access check and its audit entry, in the caller's transaction. (Receiving is
`storenet.stockroom.receive_shipped_transfer`, with the other stock commands taken at
the destination.)

The API (storenet.api.routes.transfers) and the command line (storenet.cli_stock, as
a named operator) both call these, so both edges check, change and audit a transfer
the same way, as storenet.planning.decisions does for plans. Each runs once per
(principal, key): a replay returns the first answer and writes nothing, not even a
second audit entry. The ledger records the change of status itself (who, when, why)
in `transfer_transitions`; the audit entry says the same with the status before and
after.

Object scope: the caller must hold the source (create, ship, cancel). The destination
must be a location the caller may use too, except a return to the warehouse that
feeds the source (a store's supplying warehouse, a regional's central), which whoever
holds the source may send. So a franchise owner moves stock between their own stores
or back to the warehouse, never into another franchisee's store.
"""

from __future__ import annotations

from sqlalchemy import Connection

from storenet.accounts.access import answered_as, require
from storenet.accounts.principal import Principal
from storenet.accounts.scope import can_see_location
from storenet.audit.chain import record
from storenet.ledger.transfer_states import upstream_of
from storenet.ledger.transfers import cancel_transfer, create_transfer, ship_transfer
from storenet.reports.records import get_transfer
from storenet.stockroom import once

ACTION = "transfer.write"


def require_route(conn: Connection, who: Principal, source: str, destination: str) -> None:
    """Raise Denied unless `who` may send stock from `source` to `destination`: holds
    the source, and may use the destination or it is the source's return warehouse.
    A destination outside the caller's scope is answered as an unknown location."""
    require(conn, who, ACTION, locations=[source])
    if can_see_location(conn, who, destination) or destination == upstream_of(conn, source):
        return
    require(conn, who, ACTION, locations=[destination])


def create(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    transfer_id: str,
    source: str,
    destination: str,
    lines: list[dict],
    reason: str = "",
) -> dict:
    """Create draft transfer `transfer_id` of `lines` ({sku, qty, serials?}) from
    `source` to `destination` as `who`, audited as transfer.create. Denied outside the
    policy or scope (see the module); the ledger's refusals (unknown location or SKU,
    a store sending to a warehouse other than its own, a taken id: Refused naming the
    field) write nothing. See storenet.ledger.transfers.create_transfer."""
    require_route(conn, who, source, destination)
    payload: dict = {
        "transfer_id": transfer_id,
        "source": source,
        "destination": destination,
        "lines": lines,
    }
    if reason:
        payload["reason"] = reason

    def work() -> dict:
        done = create_transfer(
            conn,
            key=who.key_prefix + key,
            transfer_id=transfer_id,
            source=source,
            destination=destination,
            lines=lines,
            by=who.username,
            reason=reason,
        )
        after = {"status": done["status"], "source": source, "destination": destination}
        record(
            conn,
            who.username,
            "transfer.create",
            f"transfer:{transfer_id}",
            None,
            {**after, "lines": done["lines"], **({"reason": reason} if reason else {})},
        )
        return done

    return once(conn, who, key, payload, work)


def ship(conn: Connection, who: Principal, *, key: str, transfer_id: str, reason: str = "") -> dict:
    """Ship draft transfer `transfer_id` as `who` (who must hold its source; one they
    cannot see answers as an unknown transfer), audited as transfer.ship. Refused
    (field "status") when it is not a draft any more, e.g. the loser of two concurrent
    shipments; InsufficientStock when the source lacks free units. See
    storenet.ledger.transfers.ship_transfer."""
    doc = _held_at_source(conn, who, transfer_id)
    payload: dict = {"ship": transfer_id}
    if reason:
        payload["reason"] = reason

    def work() -> dict:
        done = ship_transfer(
            conn, key=who.key_prefix + key, transfer_id=transfer_id, by=who.username, reason=reason
        )
        units = sum(line["qty_requested"] for line in doc["lines"])
        _audit(conn, who, "transfer.ship", transfer_id, doc["status"], done, units=units)
        return done

    return once(conn, who, key, payload, work)


def cancel(conn: Connection, who: Principal, *, key: str, transfer_id: str, reason: str) -> dict:
    """Cancel draft transfer `transfer_id` as `who` (who must hold its source),
    `reason` required, audited as transfer.cancel with the serials it released.
    Refused (field "status") once it shipped or was cancelled; Refused (field
    "reason") without a reason. See storenet.ledger.transfers.cancel_transfer."""
    doc = _held_at_source(conn, who, transfer_id)
    payload = {"cancel": transfer_id, "reason": reason}

    def work() -> dict:
        done = cancel_transfer(
            conn, key=who.key_prefix + key, transfer_id=transfer_id, by=who.username, reason=reason
        )
        released = done["serials_released"]
        _audit(
            conn,
            who,
            "transfer.cancel",
            transfer_id,
            doc["status"],
            done,
            reason=reason,
            **({"serials_released": released} if released else {}),
        )
        return done

    return once(conn, who, key, payload, work)


def _held_at_source(conn: Connection, who: Principal, transfer_id: str) -> dict:
    """The transfer, once `who` may act on it at its source (answered as an unknown
    transfer otherwise)."""
    require(conn, who, ACTION)
    doc = get_transfer(conn, transfer_id)
    with answered_as("transfer", transfer_id):
        require(conn, who, ACTION, locations=[doc["source"]])
    return doc


def _audit(
    conn: Connection,
    who: Principal,
    action: str,
    transfer_id: str,
    before: str,
    done: dict,
    **after: object,
) -> None:
    record(
        conn,
        who.username,
        action,
        f"transfer:{transfer_id}",
        {"status": before},
        {"status": done["status"], **after},
    )
