"""Importing a folder of master data: everything is checked, then all of it is written
in one transaction, or nothing is."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

from storenet.imports.chain_checks import check_chain, load_chain_known
from storenet.imports.known import load_known
from storenet.imports.opening import OpeningPlan, plan_openings, post_openings
from storenet.imports.problems import Problems
from storenet.imports.read import TableFile, find_table_files, read_table_file
from storenet.imports.report import ImportReport, TableCounts
from storenet.imports.tables import SPEC_BY_NAME
from storenet.imports.validate import check_against_database, check_files
from storenet.imports.write import write_master
from storenet.store.bulk import analyze
from storenet.store.clock import as_utc, utc_now
from storenet.store.engine import unit_of_work
from storenet.store.schema import (
    balances,
    locations,
    movement_serials,
    movements,
    purchase_order_transitions,
    sale_lines,
    serials,
)

Progress = Callable[[str, int, int], None]

# SQLite page cache for the import's connection, in KiB, restored afterwards. Inserts
# come in key order, so most pages are written once; the one index filled at random
# (movement serials by serial) is about 0.5 GB for the reference network. A cache much
# larger only holds more of the transaction's dirty pages in memory.
SQLITE_CACHE_KIB = 1024 * 1024


def import_folder(
    engine: Engine,
    folder: Path,
    progress: Progress | None = None,
    *,
    as_of: datetime | None = None,
) -> ImportReport:
    """Import every table file in `folder` (see docs/data-formats.md), all or nothing.

    Every file present is read and checked whole (types, required values, choices,
    ranges, duplicate keys, references to the files or the database, opening serials,
    the chain's rules: one primary supplier per SKU, parents, the order history)
    before anything is written. If anything is wrong, raises `storenet.errors.Refused`
    listing the problems (at most 200, then a count of the rest), each naming file and
    row (``"stores.csv row 7"``), field and reason, and nothing is written.

    Otherwise, in one transaction: master rows are upserted by key (a row equal to the
    stored one is left alone, so a second import of the same folder writes nothing);
    new stores and warehouses get ledger locations; owner and manager changes close the
    current history row and open a new one at `as_of`; historic purchase orders are
    added closed, with receipts that move no stock (`order_history`); opening stock is
    posted as
    ``opening`` movements at `as_of` (default: now), once per (location, SKU); the
    tables written get fresh planner statistics (`storenet.store.bulk.analyze`).
    `progress(stage, done, total)` is called as stages advance. Returns the counts.
    """
    started = time.monotonic()
    tell = progress or _silent
    at = as_utc(as_of)
    folder = Path(folder)
    problems = Problems()
    paths, folder_problems = find_table_files(folder)
    problems.extend(folder_problems)
    files = _read_files(paths, problems, tell)
    unreadable = set(paths) - set(files)
    tell("check files", 0, 1)
    typed = check_files(files, problems)
    tell("check files", 1, 1)
    del files  # the cells as given are no longer needed, and big imports need the memory

    def work(conn: Connection) -> ImportReport:
        with _import_session(conn):
            tell("check against the database", 0, 1)
            known = load_known(conn, typed)
            found = problems.copy()  # a retried transaction starts from the file problems
            check_against_database(typed, known, at, found, unreadable)
            check_chain(typed, load_chain_known(conn, typed), at, found)
            tell("check against the database", 1, 1)
            if found:
                raise found.refusal()
            report = ImportReport(folder=str(folder), at=at)
            report.tables = write_master(conn, typed, at, tell)
            plan = plan_openings(typed, known)
            post_openings(conn, plan, at, utc_now(), tell)
            _count_openings(report, typed, plan)
            report.notes += _sales_before_opening(conn, plan, at)
            tell("analyze", 0, 1)
            analyze(conn, _written_tables(report))
            tell("analyze", 1, 1)
            return report

    report = unit_of_work(engine, work)
    report.seconds = time.monotonic() - started
    return report


def _written_tables(report: ImportReport) -> set[str]:
    """The tables the import wrote rows to, by its counts: their statistics are stale."""
    written = {name for name, c in report.tables.items() if c.inserted or c.updated}
    specs = [SPEC_BY_NAME[name] for name in written if name in SPEC_BY_NAME]
    tables = {spec.table.name for spec in specs if spec.table is not None}
    if written & {"stores", "warehouses"}:
        tables.add(locations.name)
    tables |= {name for name in ("store_owners", "region_managers") if name in written}
    if "purchase_order_transitions" in written:
        tables.add(purchase_order_transitions.name)
    if report.opening_movements:
        tables |= {movements.name, movement_serials.name, balances.name, serials.name}
    return tables


def _read_files(paths: dict[str, Path], problems: Problems, tell: Progress) -> dict[str, TableFile]:
    files: dict[str, TableFile] = {}
    for name, path in paths.items():
        stage = f"read {path.name}"
        tell(stage, 0, 1)
        tf, file_problems = read_table_file(path, SPEC_BY_NAME[name])
        problems.extend(file_problems, name)
        if tf is not None:
            files[name] = tf
        tell(stage, 1, 1)
    return files


def _count_openings(report: ImportReport, typed: dict[str, TableFile], plan: OpeningPlan) -> None:
    if "opening_stock" in typed:
        read = typed["opening_stock"].frame.height
        report.tables["opening_stock"] = TableCounts(
            read=read, inserted=plan.moves.height, unchanged=plan.skipped
        )
    if "opening_serials" in typed:
        placed = plan.serials.height
        report.tables["opening_serials"] = TableCounts(
            read=placed + plan.serials_skipped, inserted=placed, unchanged=plan.serials_skipped
        )
    report.opening_movements = plan.moves.height
    report.opening_units = int(plan.moves["qty"].sum() or 0)
    if plan.differing:
        report.notes.append(
            f"{plan.differing} opening_stock row(s) give a qty different from the opening "
            "already posted for their (location, SKU); an opening is posted once, so they "
            "were skipped (post a count or an adjustment to change stock)"
        )


def _sales_before_opening(conn: Connection, plan: OpeningPlan, at: datetime) -> list[str]:
    """A note for each store whose stored sales precede the opening stock this import
    posted at `at`: they were booked against no stock (negative balances, discrepancies,
    a store that seems to sell from nothing in the KPIs)."""
    stores = sorted(set(plan.moves["location_id"].to_list()))
    if not stores:
        return []
    early = []
    for start in range(0, len(stores), 500):
        chunk = stores[start : start + 500]
        early += conn.execute(
            select(sale_lines.c.store_id, func.min(sale_lines.c.sold_at), func.count())
            .where(sale_lines.c.store_id.in_(chunk), sale_lines.c.sold_at < at)
            .group_by(sale_lines.c.store_id)
            .order_by(sale_lines.c.store_id)
        ).all()
    return [
        f"{store}: {n:,} sale line(s) from {first:%Y-%m-%d %H:%M} UTC precede its opening "
        f"stock (as of {at:%Y-%m-%d %H:%M} UTC) and were booked against no stock; to load "
        "past sales, import the opening stock with --as-of before the first sale"
        for store, first, n in early
    ]


@contextmanager
def _import_session(conn: Connection) -> Iterator[None]:
    """Per-database settings for one import's transaction, undone afterwards."""
    if conn.dialect.name == "postgresql":
        # One import at a time per schema: two would both see a store as new and both
        # insert it. Keyed by schema, so databases that share a server (tests) do not
        # wait on each other.
        conn.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('storenet.import'))"
        )
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def _silent(stage: str, done: int, total: int) -> None:
    return None
