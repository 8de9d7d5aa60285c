"""The stock desk over HTTP: receiving a shipped transfer, a supplier delivery, a count
and a hold go through storenet.stockroom (booked and audited once per key); refusals
name the field and write nothing; scope and role decide what a person sees and may do."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from storenet.ledger.stock import receive_from_supplier
from storenet.ledger.transfers import create_transfer, ship_transfer
from storenet.store.engine import unit_of_work
from storenet.store.schema import (
    assortment,
    balances,
    discrepancies,
    locations,
    skus,
    store_owners,
    stores,
    transfer_lines,
    transfer_serials,
    transfers,
)
from tests.integration.api.helpers import audit_actions, snapshot

# Signing in and the replay table are not stock: a refusal or a replay may touch them.
NOT_STOCK = {"audit_log", "audit_head", "api_tokens", "users"}


def _desk(store_id: str) -> str:
    return f"/console/stores/{store_id}/stock-desk"


def _sku(conn, store_id: str, serial: bool = False) -> str:  # type: ignore[no-untyped-def]
    """A SKU the store lists, serial-tracked or not."""
    sku = conn.execute(
        select(assortment.c.sku_id)
        .join(skus, skus.c.id == assortment.c.sku_id)
        .where(assortment.c.store_id == store_id, skus.c.serial_tracked.is_(serial))
        .order_by(assortment.c.sku_id)
    ).scalar()
    assert sku is not None
    return sku


def _stock(engine, store_id: str, sku: str) -> dict:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        row = conn.execute(
            select(balances)
            .join(locations, locations.c.id == balances.c.location_id)
            .where(locations.c.store_id == store_id, balances.c.sku_id == sku)
        ).first()
    return dict(row._mapping) if row else {"on_hand": 0, "held": 0}


def _ship(engine, store_id: str, transfer_id: str, sku: str, qty: int, serials=None):  # type: ignore[no-untyped-def]
    """Restock the store's warehouse with `sku` and ship `qty` of it to the store."""

    def send(conn):  # type: ignore[no-untyped-def]
        wh = conn.execute(select(stores.c.warehouse_id).where(stores.c.id == store_id)).scalar()
        line = {"sku": sku, "qty": qty} | ({"serials": serials} if serials else {})
        receive_from_supplier(conn, key=f"{transfer_id}-in", location=wh, lines=[line])
        create_transfer(
            conn,
            key=f"{transfer_id}-c",
            transfer_id=transfer_id,
            source=wh,
            destination=store_id,
            lines=[{"sku": sku, "qty": qty}],
        )
        ship_transfer(conn, key=f"{transfer_id}-s", transfer_id=transfer_id)

    unit_of_work(engine, send)


def _stock_snapshot(engine) -> dict:  # type: ignore[no-untyped-def]
    return snapshot(engine, skip=NOT_STOCK)


def test_the_desk_renders_for_the_store_manager_and_is_404_for_another_franchisees_store(
    console,
):
    store_id = console.people["sm"]["store_id"]
    with console.sign_in("sm") as c:
        store_page = c.get(f"/console/stores/{store_id}").text
        page = c.get(_desk(store_id))
    assert 'id="stock-desk-link"' in store_page
    assert page.status_code == 200, page.text
    for form in ('id="delivery-form"', 'id="count-form"', 'id="hold-form"', 'id="scrap-form"'):
        assert form in page.text
    assert re.search(r'name="key" value="[0-9a-f]{32}"', page.text)

    owner = console.people["owner"]
    with console.engine.connect() as conn:
        other = conn.execute(
            select(store_owners.c.store_id)
            .where(
                store_owners.c.valid_to.is_(None),
                store_owners.c.franchisee_id.is_not(None),
                store_owners.c.franchisee_id != owner["franchisee_id"],
            )
            .order_by(store_owners.c.store_id)
        ).scalar()
    with console.sign_in("owner") as c:
        assert c.get(_desk(owner["store"])).status_code == 200
        theirs = c.get(_desk(other))
        unknown = c.get(_desk("NO-SUCH-STORE"))
        posted = c.post(
            _desk(other) + "/hold", data={"key": "k", "sku": "x", "qty": "1", "reason": "r"}
        )
    assert theirs.status_code == unknown.status_code == posted.status_code == 404
    assert theirs.text.replace(other, "X") == unknown.text.replace("NO-SUCH-STORE", "X")


def test_an_auditor_sees_no_desk_link_and_no_forms(console):
    store_id = console.people["sm"]["store_id"]
    with console.sign_in("auditor") as c:
        store_page = c.get(f"/console/stores/{store_id}").text
        page = c.get(_desk(store_id)).text
    assert 'id="stock-desk-link"' not in store_page
    assert 'id="desk-read-only"' in page and "<form" not in page.split('id="main"')[1]


def test_receiving_a_shipped_transfer_books_it_once_and_audits_once(console):
    store_id = console.people["sm"]["store_id"]
    with console.engine.connect() as conn:
        sku = _sku(conn, store_id)
    _ship(console.engine, store_id, "T-DESK-1", sku, 3)
    before = _stock(console.engine, store_id, sku)["on_hand"]
    with console.sign_in("sm") as c:
        page = c.get(_desk(store_id)).text
        # the line comes prefilled with the shipped quantity
        assert re.search(r'id="transfer-T-DESK-1-[^"]+" name="qty"[^>]*value="3"', page)
        key = uuid.uuid4().hex
        first = c.post(
            _desk(store_id) + "/transfers/T-DESK-1", data={"key": key, "sku": sku, "qty": "2"}
        )
        assert first.status_code == 200, first.text
        assert "Transfer T-DESK-1 received" in first.text and "<html" not in first.text
        after_first = _stock_snapshot(console.engine)
        audited = audit_actions(console.engine)
        again = c.post(
            _desk(store_id) + "/transfers/T-DESK-1", data={"key": key, "sku": sku, "qty": "2"}
        )
    assert again.status_code == 200, again.text
    assert _stock_snapshot(console.engine) == after_first
    assert audit_actions(console.engine) == audited
    assert audited.count(("sm", "transfer.receive", "transfer:T-DESK-1")) == 1
    # a new key for a transfer received already is refused, and says why
    with console.sign_in("sm") as c:
        late = c.post(
            _desk(store_id) + "/transfers/T-DESK-1",
            data={"key": uuid.uuid4().hex, "sku": sku, "qty": "2"},
        )
    assert late.status_code == 422 and 'data-refused="transfer-T-DESK-1"' in late.text
    assert _stock_snapshot(console.engine) == after_first
    with console.engine.connect() as conn:
        status = conn.execute(select(transfers.c.status).where(transfers.c.id == "T-DESK-1"))
        got = conn.execute(
            select(transfer_lines.c.qty_received).where(transfer_lines.c.transfer_id == "T-DESK-1")
        ).scalar()
        short = conn.execute(
            select(discrepancies.c.id)
            .join(locations, locations.c.id == discrepancies.c.location_id)
            .where(locations.c.store_id == store_id, discrepancies.c.sku_id == sku)
        ).all()
        assert status.scalar() == "received"
    assert got == 2 and len(short) == 1
    assert _stock(console.engine, store_id, sku)["on_hand"] == before + 2


def test_a_line_left_as_shipped_arrives_as_shipped(console):
    store_id = console.people["sm"]["store_id"]
    with console.engine.connect() as conn:
        sku = _sku(conn, store_id)
    _ship(console.engine, store_id, "T-DESK-2", sku, 4)
    with console.sign_in("sm") as c:
        answer = c.post(
            _desk(store_id) + "/transfers/T-DESK-2",
            data={"key": uuid.uuid4().hex, "sku": sku, "qty": "4"},
        )
    assert answer.status_code == 200, answer.text
    assert "as shipped" in answer.text
    with console.engine.connect() as conn:
        got = conn.execute(
            select(transfer_lines.c.qty_received).where(transfer_lines.c.transfer_id == "T-DESK-2")
        ).scalar()
    assert got == 4


def test_serials_not_ticked_are_received_short(console):
    store_id = console.people["sm"]["store_id"]
    with console.engine.connect() as conn:
        sku = _sku(conn, store_id, serial=True)
    _ship(console.engine, store_id, "T-DESK-3", sku, 2, ["DESK-SN-1", "DESK-SN-2"])
    with console.engine.connect() as conn:
        serials = sorted(
            conn.execute(
                select(transfer_serials.c.serial).where(
                    transfer_serials.c.transfer_id == "T-DESK-3"
                )
            ).scalars()
        )
    assert len(serials) == 2
    with console.sign_in("sm") as c:
        page = c.get(_desk(store_id)).text
        assert all(f'value="{s}" checked' in page for s in serials)
        answer = c.post(
            _desk(store_id) + "/transfers/T-DESK-3",
            data={"key": uuid.uuid4().hex, "serial": serials[:1]},
        )
    assert answer.status_code == 200, answer.text
    assert "1 discrepancy opened" in answer.text
    with console.engine.connect() as conn:
        got = conn.execute(
            select(transfer_lines.c.qty_received).where(transfer_lines.c.transfer_id == "T-DESK-3")
        ).scalar()
        short = conn.execute(
            select(discrepancies.c.serial).where(discrepancies.c.serial.in_(serials))
        ).scalars()
        assert list(short) == serials[1:]
    assert got == 1


def test_a_supplier_delivery_books_once_per_delivery_note(console):
    store_id = console.people["sm"]["store_id"]
    with console.engine.connect() as conn:
        sku = _sku(conn, store_id)
    before = _stock(console.engine, store_id, sku)["on_hand"]
    form = {"note": "DN-777", "sku": [sku, ""], "qty": ["4", ""], "serials": ["", ""]}
    with console.sign_in("sm") as c:
        first = c.post(_desk(store_id) + "/deliveries", data=form)
        again = c.post(_desk(store_id) + "/deliveries", data=form)
        other = c.post(_desk(store_id) + "/deliveries", data=form | {"qty": ["5", ""]})
    assert first.status_code == again.status_code == 200, first.text
    # the same note with other lines is not a second delivery: refused, nothing booked
    assert other.status_code == 409 and 'data-field="lines[0].qty"' in other.text
    assert "Delivery note DN-777 booked: 4 units" in first.text
    assert _stock(console.engine, store_id, sku)["on_hand"] == before + 4
    assert [a for a in audit_actions(console.engine) if a[1] == "stock.receive"] == [
        ("sm", "stock.receive", store_id)
    ]


def test_a_count_and_a_hold_are_booked_and_audited(console):
    store_id = console.people["sm"]["store_id"]
    with console.engine.connect() as conn:
        sku = _sku(conn, store_id)
    held_before = _stock(console.engine, store_id, sku)["held"]
    with console.sign_in("sm") as c:
        counted = c.post(
            _desk(store_id) + "/counts",
            data={"key": uuid.uuid4().hex, "sku": sku, "counted": "7"},
        )
        held = c.post(
            _desk(store_id) + "/hold",
            data={"key": uuid.uuid4().hex, "sku": sku, "qty": "2", "reason": "damaged box"},
        )
    assert counted.status_code == 200, counted.text
    assert held.status_code == 200, held.text
    assert "2 of" in held.text and "held off sale" in held.text
    stock = _stock(console.engine, store_id, sku)
    # counted 7 on hand, then 2 of them taken off sale into held
    assert stock["on_hand"] == 7 - 2 and stock["held"] == held_before + 2
    actions = audit_actions(console.engine)
    assert ("sm", "stock.count", f"{store_id}/{sku}") in actions
    assert ("sm", "stock.hold", f"{store_id}/{sku}") in actions


def test_refused_input_answers_422_naming_the_field_and_writes_nothing(console):
    store_id = console.people["sm"]["store_id"]
    with console.engine.connect() as conn:
        sku = _sku(conn, store_id)
    before = _stock_snapshot(console.engine)
    with console.sign_in("sm") as c:
        zero = c.post(
            _desk(store_id) + "/hold",
            data={"key": uuid.uuid4().hex, "sku": sku, "qty": "0", "reason": "damaged"},
        )
        unknown = c.post(
            _desk(store_id) + "/deliveries",
            data={"note": "DN-BAD", "sku": "NO-SUCH-SKU", "qty": "1", "serials": ""},
        )
        no_count = c.post(
            _desk(store_id) + "/counts", data={"key": uuid.uuid4().hex, "sku": sku, "counted": "x"}
        )
    assert zero.status_code == unknown.status_code == no_count.status_code == 422
    assert 'data-field="qty"' in zero.text
    assert 'data-field="sku"' in unknown.text and "NO-SUCH-SKU" in unknown.text
    assert 'data-field="counted"' in no_count.text
    # what was entered is kept for correcting
    assert 'value="damaged"' in zero.text
    assert _stock_snapshot(console.engine) == before


def test_release_is_for_roles_allowed_it_only(console):
    store_id = console.people["sm"]["store_id"]
    with console.engine.connect() as conn:
        sku = _sku(conn, store_id)
    before = _stock_snapshot(console.engine)
    with console.sign_in("sm") as c:
        page = c.get(_desk(store_id)).text
        posted = c.post(
            _desk(store_id) + "/release",
            data={"key": uuid.uuid4().hex, "sku": sku, "qty": "1", "reason": "fine"},
        )
    assert 'id="release-form"' not in page and 'id="hold-form"' in page
    assert posted.status_code == 403
    assert _stock_snapshot(console.engine) == before
    with console.sign_in("rm") as c:
        assert 'id="release-form"' in c.get(_desk(store_id)).text
