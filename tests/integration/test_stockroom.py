"""storenet.stockroom directly: resolving a discrepancy by counting (the API's resolve
route), and a transfer received with an empty map of differences (all as shipped)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storenet.accounts.errors import Denied
from storenet.accounts.principal import Principal
from storenet.ledger.stock import receive_from_supplier
from storenet.ledger.transfers import create_transfer, ship_transfer
from storenet.sales.ingest import ingest_pos_batch
from storenet.stockroom import receive_shipped_transfer, resolve_discrepancy
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, discrepancies
from tests.integration.api.conftest import sale

MANAGER_S1 = Principal(1, "sm_s1", "store_manager", 0, "cli", store_id="S1")


def _oversold(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A discrepancy at S1 and one at S3 (a sale of K3, which neither holds)."""
    for store in ("S1", "S3"):
        unit_of_work(
            engine,
            lambda c, s=store: ingest_pos_batch(
                c, key=f"short-{s}", lines=[sale(1, store=s, sku="K3", receipt=f"r-{s}")]
            ),
        )
    with engine.connect() as conn:
        rows = conn.execute(select(discrepancies.c.id, discrepancies.c.location_id)).all()
    ids = sorted(r.id for r in rows)
    return {"S1": ids[0], "S3": ids[1]}


def test_a_discrepancy_is_resolved_by_a_count_audited_and_replayed_once(network):
    found = _oversold(network)

    def resolve(conn):  # type: ignore[no-untyped-def]
        return resolve_discrepancy(
            conn, MANAGER_S1, key="r1", discrepancy_id=found["S1"], counted=0
        )

    first = unit_of_work(network, resolve)
    again = unit_of_work(network, resolve)
    assert first == again and first["resolved"] == 1 and first["counted"] == 0
    with network.connect() as conn:
        entries = conn.execute(select(audit_log.c.actor, audit_log.c.target)).all()
    assert [tuple(e) for e in entries] == [("sm_s1", "S1/K3")]


def test_a_discrepancy_of_another_store_answers_as_an_unknown_one(network):
    found = _oversold(network)
    with pytest.raises(Denied) as caught:
        unit_of_work(
            network,
            lambda c: resolve_discrepancy(
                c, MANAGER_S1, key="r2", discrepancy_id=found["S3"], counted=0
            ),
        )
    assert caught.value.hidden and caught.value.kind == "discrepancy"
    assert caught.value.target == str(found["S3"])


def test_an_empty_map_of_differences_receives_everything_as_shipped(network):
    def work(conn):  # type: ignore[no-untyped-def]
        receive_from_supplier(conn, key="seed", location="S4", lines=[{"sku": "K1", "qty": 5}])
        create_transfer(
            conn,
            key="t",
            transfer_id="T-1",
            source="S4",
            destination="S1",
            lines=[{"sku": "K1", "qty": 5}],
        )
        ship_transfer(conn, key="s", transfer_id="T-1")
        return receive_shipped_transfer(conn, MANAGER_S1, key="r", transfer_id="T-1", received={})

    done = unit_of_work(network, work)
    assert done["status"] == "received" and done["discrepancies"] == 0
