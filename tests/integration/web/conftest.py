"""The console over a small generated network, served on loopback, with one person
per role and a week of closed days (daily figures), targets and a draft plan.

`console.people` names who is who: a franchise owner (their franchisee owns at least
one store), a regional manager (runs one region), a store manager (one store), and
network-wide roles. `console.sign_in(name)` returns an httpx client holding that
person's session cookie and CSRF header, as a browser would.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, select

from storenet.accounts.passwords import hash_password
from storenet.accounts.users import create_user
from storenet.datagen import NetworkSpec, generate
from storenet.demo import play_days, set_demo_targets, stock_as_of
from storenet.imports import import_folder
from storenet.network.ownership import change_region_manager
from storenet.planning.service import run_plan
from storenet.settings import Settings
from storenet.store.engine import unit_of_work
from storenet.store.schema import store_owners, stores
from tests.integration.api.server import ServerThread, test_settings
from tests.snapshots import seed_from_snapshot

PASSWORD = "correct horse battery"
END = date(2026, 11, 1)
PLAYED_DAYS = 4


@functools.cache
def _password_hash(password: str) -> str:
    return hash_password(password)


@dataclass
class Console:
    """A running service with the console, over a seeded network."""

    url: str
    engine: Engine
    people: dict[str, dict] = field(default_factory=dict)
    plan_id: str = ""
    last_day: date = END

    def sign_in(self, name: str) -> httpx.Client:
        """A client signed in as `name` through the sign-in form (cookies kept by
        hand: the session cookie is Secure, and this is plain HTTP on loopback)."""
        with httpx.Client(base_url=self.url, timeout=60) as form:
            answer = form.post(
                "/console/sign-in",
                data={"username": name, "password": PASSWORD, "next": "/console/"},
            )
        assert answer.status_code == 303, answer.text
        cookies = {c.name: c.value for c in answer.cookies.jar}
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "X-CSRF-Token": cookies["storenet_csrf"],
        }
        return httpx.Client(base_url=self.url, timeout=60, headers=headers)


def seed_console(engine: Engine, home) -> Console:  # type: ignore[no-untyped-def]
    """Generate and import the network, create the people, play and close a few POS
    days, set targets and run tonight's plan. Returns the Console (without url)."""
    settings = Settings.from_env(
        {"STORENET_HOME": str(home), "STORENET_DB": engine.url.render_as_string(False)}
    )
    # The POS days are drawn from the generator's rates after END (demo_pos).
    spec = NetworkSpec(stores=24, skus=30, days=120, seed=11, end=END, forward_days=PLAYED_DAYS)
    generate(spec, settings.home)
    import_folder(engine, settings.home / "master", as_of=stock_as_of(settings, END))
    play_days(settings, engine, END + timedelta(days=1), PLAYED_DAYS, seed=3)
    last = END + timedelta(days=PLAYED_DAYS)
    unit_of_work(engine, lambda c: set_demo_targets(c, settings, last))
    plan, _ = run_plan(settings, engine, last + timedelta(days=1))

    def people(conn):  # type: ignore[no-untyped-def]
        owned = conn.execute(
            select(store_owners.c.franchisee_id, store_owners.c.store_id)
            .where(store_owners.c.valid_to.is_(None), store_owners.c.franchisee_id.is_not(None))
            .order_by(store_owners.c.franchisee_id, store_owners.c.store_id)
        ).first()
        region, store = conn.execute(
            select(stores.c.region_id, stores.c.id)
            .where(stores.c.status == "open")
            .order_by(stores.c.region_id, stores.c.id)
        ).first()
        spec = {
            "admin": {"role": "administrator"},
            "planner": {"role": "hq_planner"},
            "auditor": {"role": "auditor"},
            "rm": {"role": "regional_manager", "region": region},
            "sm": {"role": "store_manager", "store_id": store},
            "owner": {
                "role": "franchise_owner",
                "franchisee_id": owned.franchisee_id,
                "store": owned.store_id,
            },
        }
        for name, s in spec.items():
            extra = {k: v for k, v in s.items() if k in ("store_id", "franchisee_id")}
            s["id"] = create_user(
                conn, actor="test", username=name, password=PASSWORD, role=s["role"], **extra
            )["id"]
        change_region_manager(conn, region, "rm", datetime.now(UTC))
        return spec

    return Console(
        url="",
        engine=engine,
        people=unit_of_work(engine, people),
        plan_id=plan["id"],
        last_day=last,
    )


def seeded_facts(engine: Engine, home) -> dict:  # type: ignore[no-untyped-def]
    """seed_console's work, and what a Console needs from it besides the engine."""
    seeded = seed_console(engine, home)
    return {"people": seeded.people, "plan_id": seeded.plan_id, "last_day": seeded.last_day}


@pytest.fixture
def console(engine, tmp_path, monkeypatch):
    """The console on `engine` (SQLite, then PostgreSQL), seeded as the module says
    (once per process: each test gets a copy, tests.snapshots)."""
    monkeypatch.setattr("storenet.accounts.users.hash_password", _password_hash)
    facts = seed_from_snapshot("console", engine, tmp_path, seeded_facts)
    seeded = Console(url="", engine=engine, **facts)
    server = ServerThread(test_settings(engine, tmp_path)).start()
    seeded.url = server.url
    yield seeded
    server.stop()
