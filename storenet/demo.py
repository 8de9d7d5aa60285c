"""The demo: a small synthetic network run through the real paths, end to end.

`build_network` generates a network and imports it exactly as a brand's own files would
be imported. `run_demo` then plays weeks of POS sales (drawn from the generator's own
demand continued past its history: `demo_pos`) through the real ingestion service
(batches with idempotency keys), closes each day (Parquet history and daily figures)
with the whole chain planned every night, sets targets, summarises the network and
plans the next day. Running it
twice changes nothing the second time: the import finds everything unchanged and every
POS batch is a replay.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import Connection, Engine, select

from storenet.accounts.login import issue_sign_in_link
from storenet.accounts.principal import Principal
from storenet.accounts.users import create_user
from storenet.closing import close_day
from storenet.demo_pos import pos_day
from storenet.demo_supply import book_arrivals, send_and_confirm
from storenet.network.targets import set_expansion_targets, set_store_targets
from storenet.planning.decisions import approve, release
from storenet.planning.documents import plan_id_for
from storenet.planning.service import run_plan
from storenet.reports.echelons import stock_by_echelon
from storenet.reports.state import NetworkState, network_state
from storenet.sales.files import read_pos_file
from storenet.sales.history import read_history
from storenet.sales.ingest import ingest_pos_batch
from storenet.settings import Settings
from storenet.store.engine import open_engine, reading, unit_of_work
from storenet.store.migrate import migrate
from storenet.store.schema import plans, stores, users

Progress = Callable[[str, int, int], None]
BATCH = 1000


@dataclass
class DemoResult:
    """What the demo did and the state it left."""

    summary: dict
    state: NetworkState
    plan: dict
    nights: list[dict]  # per night played: `night_figures` of its plan, and arrivals
    echelons: list[dict]  # stock by echelon after the last day (reports.echelons)


def build_network(
    settings: Settings,
    engine: Engine,
    *,
    stores: int,
    skus: int,
    days: int,
    seed: int,
    end: date,
    pos_days: int = 0,
    progress: Progress | None = None,
) -> dict:
    """Generate a network into STORENET_HOME and import its master data.

    History is written straight into `settings.history_dir`; master files go to
    ``<home>/master`` and are imported all or nothing, the opening stock as of the day
    after `end` (`stock_as_of`). The generator's demand rates of the `pos_days` days
    after `end` go to ``<home>/forward/demand.parquet``, where `pos_day` draws from.
    """
    from storenet.datagen import NetworkSpec, generate
    from storenet.imports import import_folder

    # A network storenet's plan has been running (NetworkSpec.planned_stores): its
    # stores hold what the plan targets, so the first nights are not a hand-over that
    # lifts every store at once and drains the warehouses above them. Its suppliers
    # deliver what they confirm, as the demo's own do (demo_supply), so the opening
    # stock and pipeline carry no shortage the demo's suppliers would never cause.
    spec = NetworkSpec(
        stores=stores,
        skus=skus,
        days=days,
        seed=seed,
        end=end,
        planned_stores=True,
        full_supply=True,
        forward_days=pos_days,
    )
    generated = generate(spec, settings.home, progress=progress)
    report = import_folder(
        engine, settings.home / "master", as_of=stock_as_of(settings, end), progress=progress
    )
    return {"generated": generated, "imported": report}


HISTORY_END = date(2026, 10, 25)


def history_end(pos_days: int, today: date | None = None) -> date:
    """The last day of the demo's generated history: HISTORY_END (so runs on different
    days build the same network), or earlier when the POS days played after it would
    reach today (a till's sale from the future is refused)."""
    today = today or date.today()
    return min(HISTORY_END, today - timedelta(days=pos_days + 1))


def stock_as_of(settings: Settings, end: date) -> datetime:
    """When generated opening stock stands: the first moment after the history's last
    day `end`, in the market's time zone, so closing the days after `end` sees it and
    the history never does."""
    return datetime.combine(end + timedelta(days=1), time(0), ZoneInfo(settings.market_tz))


def run_demo(
    settings: Settings,
    *,
    stores: int = 300,
    skus: int = 300,
    days: int = 365,
    seed: int = 1,
    pos_days: int = 28,
    progress: Progress | None = None,
) -> DemoResult:
    """Build the demo network, play `pos_days` days of POS sales through ingestion and
    the nightly close with the whole chain planned every night and supplier deliveries
    and transfers arriving between days, set expansion and store targets, and plan the
    deliveries of the day after (a draft plan)."""
    engine = open_engine(settings.db_url)
    migrate(engine)
    end = history_end(pos_days)
    build_network(
        settings,
        engine,
        stores=stores,
        skus=skus,
        days=days,
        seed=seed,
        end=end,
        pos_days=pos_days,
        progress=progress,
    )
    closes, totals, nights = play_days(
        settings, engine, end + timedelta(days=1), pos_days, seed, progress
    )
    last = end + timedelta(days=pos_days)
    unit_of_work(engine, lambda c: set_demo_targets(c, settings, last))
    with reading(engine) as conn:
        state = network_state(conn, settings.history_dir, last)
        echelons = stock_by_echelon(conn)
    # Tonight's plan for tomorrow's deliveries, kept as a draft for a planner to review.
    plan_header, _ = run_plan(settings, engine, last + timedelta(days=1), progress=progress)
    engine.dispose()
    summary = {
        "pos_days": f"{end + timedelta(days=1)} to {last}",
        **totals,
        "history_rows_for_last_day": closes[-1]["pairs"] if closes else 0,
    }
    return DemoResult(
        summary=summary, state=state, plan=plan_header, nights=nights, echelons=echelons
    )


# The demo's nightly run acts as an HQ planner; its approvals and releases are audited
# under this name.
NIGHT = Principal(
    user_id=0, username="demo-night", role="hq_planner", token_id=0, token_kind="session"
)


def play_days(
    settings: Settings,
    engine: Engine,
    first: date,
    days: int,
    seed: int,
    progress: Progress | None = None,
) -> tuple[list[dict], dict, list[dict]]:
    """Play `days` days of POS sales from `first` on, with the nightly loop between
    them: each morning what arrives is received (supplier deliveries, transfers whose
    lane lead time has passed: `demo_supply.book_arrivals`), the day's lines go
    through the ingestion service in batches with idempotency keys, the day is closed
    (history and daily figures), and, before the next day, tonight's plan of the whole
    chain is made, approved and released, and its purchase orders sent and confirmed
    (`run_night`). Returns the closes, the totals (ingestion and arrivals) and each
    night's figures.

    Like a till's outbox, each day's lines are written to a file once and resent as
    they are, so a second run replays the same batches and changes nothing."""
    totals = {"lines": 0, "accepted": 0, "duplicates": 0, "discrepancies": 0}
    totals.update(supplier_units_received=0, damaged_units_received=0)
    closes: list[dict] = []
    nights: list[dict] = []
    for n in range(days):
        day = first + timedelta(days=n)
        arrived = book_arrivals(engine, day, settings.market_tz)
        totals["supplier_units_received"] += arrived["supplier_units"]
        totals["damaged_units_received"] += arrived["damaged_units"]
        if nights:
            nights[-1]["supplier_units_received"] = arrived["supplier_units"]
        outbox = settings.home / "pos" / f"{day.isoformat()}.jsonl"
        if not outbox.exists():
            outbox.parent.mkdir(parents=True, exist_ok=True)
            partial = outbox.with_suffix(".partial")
            partial.write_text(
                "".join(
                    json.dumps(line) + "\n" for line in pos_day(engine, settings, day, seed + n)
                )
            )
            partial.replace(outbox)
        lines = read_pos_file(outbox)
        for start in range(0, len(lines), BATCH):
            chunk = lines[start : start + BATCH]
            result = unit_of_work(
                engine,
                lambda c, k=f"demo:{day}:{start // BATCH}", b=chunk: ingest_pos_batch(
                    c, key=k, lines=b
                ),
            )
            for k in ("lines", "accepted", "duplicates", "discrepancies"):
                totals[k] += result[k]
        closes.append(
            unit_of_work(
                engine,
                lambda c, d=day: close_day(c, settings.history_dir, d, settings.market_tz),
            )
        )
        if n < days - 1:
            header = run_night(settings, engine, day + timedelta(days=1))
            nights.append({"day": day + timedelta(days=1), **night_figures(header["summary"])})
        if progress:
            progress("playing POS days", n + 1, days)
    return closes, totals, nights


def night_figures(summary: dict) -> dict:
    """What the demo reports of a night's plan: store units requested and allocated,
    supplier order lines and units, units moved between warehouses."""
    names = ("units_requested", "units_allocated", "po_lines", "po_units", "wh_transfer_units")
    return {name: summary.get(name, 0) for name in names}


def run_night(settings: Settings, engine: Engine, day: date) -> dict:
    """The nightly loop for deliveries on `day`: plan the whole chain, approve and
    release (as NIGHT, audited), then send the night's purchase orders to their
    suppliers, who confirm them (`demo_supply.send_and_confirm`). The transfers travel
    on their lanes and are received by `demo_supply.book_arrivals` on the morning they
    arrive. A plan already released is not planned again, and every write is keyed or
    checked, so a second run changes nothing. Returns the plan's header."""
    plan_id = plan_id_for(day)
    with reading(engine) as conn:
        known = conn.execute(select(plans.c.status).where(plans.c.id == plan_id)).scalar()
    if known is None or known == "draft":
        run_plan(settings, engine, day)
    unit_of_work(engine, lambda c: approve(c, NIGHT, plan_id))
    header = unit_of_work(engine, lambda c: release(c, NIGHT, plan_id)).header
    evening = datetime.combine(day - timedelta(days=1), time(21), ZoneInfo(settings.market_tz))
    send_and_confirm(engine, plan_id, evening)
    return header


def set_demo_targets(conn: Connection, settings: Settings, last: date) -> None:
    """Targets to measure the demo network against: an expansion plan of 10% more
    openings than the network made in each of its last 12 months, and a monthly sales
    target for every open store of 105% of its last 28 days' sales scaled to a month."""
    opened = conn.execute(
        select(stores.c.opened_on).where(
            stores.c.opened_on.is_not(None), stores.c.opened_on <= last
        )
    ).scalars()
    per_month: dict[date, int] = {}
    for day in opened:
        per_month[day.replace(day=1)] = per_month.get(day.replace(day=1), 0) + 1
    months = sorted(per_month)[-12:]
    set_expansion_targets(conn, {m: int(round(per_month[m] * 1.1)) for m in months})
    recent = (
        read_history(settings.history_dir, last - timedelta(days=27), last)
        .group_by("store_id")
        .agg(pl.col("revenue_cents").sum())
        .collect()
    )
    month = last.replace(day=1)
    set_store_targets(
        conn,
        [
            (store, month, int(cents * 30 / 28 * 1.05))
            for store, cents in recent.iter_rows()
            if cents > 0
        ],
    )


DEMO_USER = "demo"


def demo_sign_in_link(engine: Engine, secret_key: str) -> str:
    """A one-time sign-in link token for the demo's HQ planner `demo` (created on the
    first run with a random password nobody knows), valid for 24 hours."""

    def work(conn: Connection) -> str:
        known = conn.execute(select(users.c.id).where(users.c.username == DEMO_USER)).first()
        if known is None:
            create_user(
                conn,
                actor="demo",
                username=DEMO_USER,
                role="hq_planner",
                password=secrets.token_urlsafe(24),
            )
        return issue_sign_in_link(conn, secret_key, DEMO_USER, timedelta(hours=24))

    return unit_of_work(engine, work)
