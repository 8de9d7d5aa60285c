"""An HTTP service over the small test network, with one user per role.

Stores: S1 (direct, EAST), S2 (franchise F1, EAST), S3 (franchise F2, WEST),
S4 (flagship, WEST). Users: admin, planner, rm_east (runs EAST), sm_s1 (store manager
of S1), fr_f1 (owner of F1: S2), fr_f2 (owner of F2: S3), auditor, pos_s2 (a POS device
of S2). Stock: 20 units of K1 and K2 in every store and in WE; phone PH1 serials
P-S1-1.. at S1 and P-S3-1.. at S3.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine

from storenet.accounts.passwords import hash_password
from storenet.accounts.tokens import issue_token
from storenet.accounts.users import create_user
from storenet.ledger.stock import receive_from_supplier
from storenet.network.ownership import change_region_manager
from storenet.store.engine import unit_of_work
from tests.integration.api.server import TEST_SECRET, ServerThread, test_settings

PASSWORD = "correct horse battery"
USERS = {
    "admin": {"role": "administrator"},
    "planner": {"role": "hq_planner"},
    "rm_east": {"role": "regional_manager"},
    "sm_s1": {"role": "store_manager", "store_id": "S1"},
    "fr_f1": {"role": "franchise_owner", "franchisee_id": "F1"},
    "fr_f2": {"role": "franchise_owner", "franchisee_id": "F2"},
    "auditor": {"role": "auditor"},
    "pos_s2": {"role": "pos_device", "store_id": "S2"},
    # A standards auditor, assigned store S1 by test_access (storenet.standards).
    "std_aud": {"role": "standards_auditor"},
}


@dataclass
class Api:
    """A running service and its users' bearer tokens."""

    url: str
    engine: Engine
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)

    def client(self, user: str | None = None, headers: dict | None = None) -> httpx.Client:
        """An HTTP client, with `user`'s bearer token when given."""
        sent = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=self.url, headers={**sent, **(headers or {})}, timeout=60)


@functools.cache
def _password_hash(password: str) -> str:
    # Argon2 takes most of a second here; hash the test password once per session.
    return hash_password(password)


def seed_people_and_stock(engine: Engine) -> tuple[dict[str, str], dict[str, int]]:
    """Create the users (with tokens) and stock of this module's docstring."""

    def work(conn):  # type: ignore[no-untyped-def]
        tokens, ids = {}, {}
        for name, spec in USERS.items():
            password = None if spec["role"] == "pos_device" else PASSWORD
            user = create_user(conn, actor="test", username=name, password=password, **spec)
            kind = "device" if spec["role"] == "pos_device" else "session"
            tokens[name], _ = issue_token(conn, TEST_SECRET, user["id"], kind, None)
            ids[name] = user["id"]
        change_region_manager(conn, "EAST", "rm_east", datetime(2025, 1, 1, tzinfo=UTC))
        for where in ("S1", "S2", "S3", "S4", "WE"):
            lines = [{"sku": "K1", "qty": 20}, {"sku": "K2", "qty": 20}]
            if where in ("S1", "S3"):
                lines.append({"sku": "PH1", "qty": 2, "serials": [f"P-{where}-1", f"P-{where}-2"]})
            receive_from_supplier(
                conn,
                key=f"seed-{where}",
                location=where,
                lines=lines,
                at=datetime(2025, 6, 1, tzinfo=UTC),
            )
        return tokens, ids

    return unit_of_work(engine, work)


@pytest.fixture
def api(network, tmp_path, monkeypatch):
    """The service over `network` (SQLite, then PostgreSQL), with users and stock."""
    monkeypatch.setattr("storenet.accounts.users.hash_password", _password_hash)
    tokens, ids = seed_people_and_stock(network)
    server = ServerThread(test_settings(network, tmp_path)).start()
    yield Api(url=server.url, engine=network, tokens=tokens, user_ids=ids)
    server.stop()


def sale(
    n: int, store: str = "S2", sku: str = "K1", device: str = "T1", receipt: str = "R1", **extra
) -> dict:  # type: ignore[no-untyped-def]
    """A POS sale line."""
    return {
        "store": store,
        "device": device,
        "receipt": receipt,
        "line": n,
        "sku": sku,
        "qty": 1,
        "unit_price": "19.90",
        "at": "2026-11-20T10:00:00+08:00",
        **extra,
    }
