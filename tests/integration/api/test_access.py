"""Access over HTTP, generated from the OpenAPI schema (RELIABILITY items 13 and 14).

Every operation the schema publishes must be in `access_table.ACCESS` (a new route
missing from it fails here), with the action it declares in `x-storenet-action`.
Then: every role x every route answers 403 exactly where the documented policy
(storenet.accounts.roles.POLICY) denies the role, and each denial is audited; and
franchise owner F1, calling every route that takes an object id on franchisee F2's
objects, gets 403/404 with nothing written and nothing of F2's shown.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storenet.accounts.roles import POLICY
from storenet.accounts.users import create_user
from storenet.ledger.transfers import create_transfer, ship_transfer
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work
from storenet.store.schema import discrepancies, locations
from tests.integration.api.access_table import ACCESS
from tests.integration.api.conftest import USERS, sale
from tests.integration.api.helpers import audit_actions, snapshot

ROLE_USERS = list(USERS)
F2_ONLY = ("Zhang Min", "Store S3", "P-S3-1")
NONEXISTENT = {
    "user_id": "999999",
    "serial": "NO-SERIAL",
    "location": "NOWHERE",
    "discrepancy_id": "999999",
    "transfer_id": "T-NONE",
    "store_id": "NOWHERE",
    "region_id": "NOWHERE",
    "job_id": "job-none",
    "plan_id": "plan-2026-01-01",
    "line_no": 1,
    "reward_id": "RW-NONE",
    "franchisee_id": "NOWHERE",
    "audit_id": "SA-NONE",
    "code": "no-item",
    "sha256": "f" * 64,
}


def operations(schema: dict) -> dict[tuple[str, str], dict]:
    return {
        (method.upper(), path): op
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }


def _objects(api) -> dict[str, str]:
    """Create the objects the table names; returns the placeholder values."""

    def work(conn):  # type: ignore[no-untyped-def]
        victim = create_user(
            conn, actor="test", username="victim", role="auditor", password="long enough password"
        )
        at = datetime(2025, 7, 1, tzinfo=UTC)
        create_transfer(
            conn,
            key="t-s1",
            transfer_id="T-S1",
            source="S1",
            destination="S4",
            lines=[{"sku": "K1", "qty": 1}],
        )
        create_transfer(
            conn,
            key="t-f2",
            transfer_id="T-F2",
            source="S3",
            destination="S4",
            lines=[{"sku": "K1", "qty": 1}],
        )
        create_transfer(
            conn,
            key="t-f2s",
            transfer_id="T-F2-shipped",
            source="S4",
            destination="S3",
            lines=[{"sku": "K1", "qty": 1}],
        )
        ship_transfer(conn, key="t-f2s-ship", transfer_id="T-F2-shipped", at=at)
        for store in ("S1", "S3"):
            ingest_pos_batch(
                conn,
                key=f"short-{store}",
                lines=[sale(1, store=store, sku="K3", receipt=f"short-{store}")],
            )
        found = {
            r.store_id: r.id
            for r in conn.execute(
                discrepancies.select()
                .with_only_columns(discrepancies.c.id, locations.c.store_id)
                .join(locations, locations.c.id == discrepancies.c.location_id)
            )
        }
        standards = _standards_objects(conn)
        return {
            **standards,
            "{victim}": str(victim["id"]),
            "{own_discrepancy}": str(found["S1"]),
            "{foreign_discrepancy}": str(found["S3"]),
        }

    values = unit_of_work(api.engine, work)
    values["{pos_user}"] = str(api.user_ids["pos_s2"])
    values["{foreign_user}"] = str(api.user_ids["fr_f2"])
    values["{foreign_reward}"] = _foreign_reward(api.engine)
    return values


def _foreign_reward(engine) -> str:  # type: ignore[no-untyped-def]
    """A reward of franchisee F2 (store S3), owed."""
    from datetime import date

    from sqlalchemy import insert

    from storenet.franchise import programs
    from storenet.franchise.rewards import close_period
    from storenet.store.schema import sale_lines

    def work(conn):  # type: ignore[no-untyped-def]
        conn.execute(
            insert(sale_lines).values(
                batch_key="acc-f2",
                store_id="S3",
                device_id="till",
                receipt_no="ACC-F2",
                line_no=1,
                kind="sale",
                sku_id="K1",
                qty=1,
                unit_price_cents=1000,
                sold_at=datetime(2026, 10, 15, 4),
            )
        )
        programs.create_program(conn, "ACC", "access matrix", "test")
        programs.draft_terms(
            conn,
            "ACC",
            {
                "period_kind": "month",
                "from_period": "2026-10",
                "basis": "sales",
                "tiers": [{"threshold": "0", "payout": "fixed", "amount": "1.00"}],
                "currency": "CNY",
                "due_days": 30,
                "eligible": ["F2"],
            },
            "test",
        )
        programs.publish_terms(conn, "ACC", 1, "test")
        programs.accept_terms(conn, "ACC", 1, "F2", "fr_f2")
        done = close_period(conn, "ACC", "2026-10", "Asia/Shanghai", "test", date(2026, 11, 1))
        return done["rewards"][0]

    return unit_of_work(engine, work)


def _standards_objects(conn) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A checklist, a started audit of S1 and one of S3 with a photo; std_aud audits S1."""

    from storenet.standards.assignments import assign
    from storenet.standards.audits import attach_photo, start_audit
    from storenet.standards.templates import save_template

    items = [{"section": "decor", "code": "decor.sign", "text": "Sign lit"}]
    save_template(conn, template_id="store-standard", name="Standard", items=items, by="test")
    own = start_audit(conn, store_id="S1", template_id="store-standard", by="test")
    foreign = start_audit(conn, store_id="S3", template_id="store-standard", by="test")
    photo = attach_photo(conn, foreign["id"], "decor.sign", b"\xff\xd8\xff" + bytes(64), by="test")
    assign(conn, auditor="std_aud", by="test", store_id="S1")
    return {
        "{own_audit}": own["id"],
        "{foreign_audit}": foreign["id"],
        "{foreign_photo}": photo["sha256"],
    }


def _call(client, method: str, path: str, spec: dict, params: dict | None, role: str, values: dict):  # type: ignore[no-untyped-def]
    url = path
    for name, value in (params or {}).items():
        url = url.replace("{" + name + "}", values.get(str(value), str(value)))
    headers = {"Idempotency-Key": f"matrix-{role}-{method}-{path}"} if spec.get("key") else {}
    body = spec.get("body")
    if body == "pos":
        body = {"lines": [sale(1, store="S2", receipt=f"M-{role}")]}
    elif body is not None:
        import json

        body = json.loads(json.dumps(body).replace("{role}", role))
    if method == "GET":
        return client.get(url, headers=headers)
    return client.request(method, url, json=body, headers=headers)


def test_every_route_in_the_schema_is_in_the_access_table_with_its_action(api):
    with api.client() as c:
        ops = operations(c.get("/openapi.json").json())
    missing = sorted(set(ops) - set(ACCESS))
    assert not missing, f"routes missing from the access table: {missing}"
    assert sorted(set(ACCESS) - set(ops)) == []
    for route, op in ops.items():
        assert op.get("x-storenet-action") == ACCESS[route]["action"], route
        assert op.get("x-storenet-roles") == sorted(POLICY[ACCESS[route]["action"]]), route


def test_every_role_is_refused_exactly_where_the_policy_says_and_each_refusal_is_audited(api):
    values = _objects(api)
    for role in ROLE_USERS:
        with api.client(role) as c:
            for (method, path), spec in ACCESS.items():
                denied_before = sum(1 for a in audit_actions(api.engine) if a[1] == "denied")
                r = _call(c, method, path, spec, spec.get("own"), role, values)
                allowed = USERS[role]["role"] in POLICY[spec["action"]]
                where = f"{role} {method} {path}: {r.status_code} {r.text[:200]}"
                assert r.status_code != 500, where
                if allowed:
                    assert r.status_code != 403, where
                    if spec["action"] != "public":
                        assert r.status_code != 401, where
                else:
                    assert r.status_code == 403, where
                    denied = [a for a in audit_actions(api.engine) if a[1] == "denied"]
                    assert len(denied) == denied_before + 1, where
                    assert denied[-1][0] == role and denied[-1][2] == f"{method} {r.url.path}"


@pytest.mark.parametrize("role", ["fr_f1"])
def test_a_franchise_owner_reaches_nothing_of_another_franchisee(api, role):
    values = _objects(api)
    with_ids = {route: spec for route, spec in ACCESS.items() if spec.get("foreign")}
    assert len(with_ids) >= 20
    before = snapshot(api.engine)
    with api.client(role) as c:
        for (method, path), spec in with_ids.items():
            r = _call(c, method, path, spec, spec["foreign"], role, values)
            where = f"{method} {path}: {r.status_code} {r.text[:300]}"
            assert r.status_code in (403, 404), where
            assert not any(secret in r.text for secret in F2_ONLY), where
            # The answer is the one for an object that does not exist: nothing leaks.
            ghost = {k: NONEXISTENT[k] for k in spec["foreign"]}
            g = _call(c, method, path, spec, ghost, role, values)
            foreign_ids = [values.get(str(v), str(v)) for v in spec["foreign"].values()]
            text = r.text
            for real, fake in zip(foreign_ids, [str(v) for v in ghost.values()]):
                text = text.replace(f'"{real}"', f'"{fake}"').replace(f"'{real}'", f"'{fake}'")
            assert (r.status_code, text) == (g.status_code, g.text), where
        # Lists show none of F2's objects either.
        for url in (
            "/stores",
            "/transfers",
            "/discrepancies",
            "/skus/K1/stock",
            "/regions",
            "/standards/audits",
            "/standards/actions",
        ):
            r = c.get(url)
            assert r.status_code == 200
            assert "S3" not in r.text and "T-F2" not in r.text, url
    assert snapshot(api.engine) == before
