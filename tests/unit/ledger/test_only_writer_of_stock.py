"""The ledger is the only writer of stock: no module outside `storenet/ledger/` writes
movements, the serials they carry or balances (DESIGN principle 1)."""

from __future__ import annotations

import re
from pathlib import Path

import storenet

PACKAGE = Path(storenet.__file__).parent
STOCK = r"(movements|movement_serials|serials|balances)"
WRITES = [
    re.compile(rf"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+{STOCK}\b", re.IGNORECASE),
    re.compile(rf"\b(insert|update|delete|upsert_for\(conn\))\(\s*{STOCK}\b"),
    re.compile(rf"\b(insert_\w+|upsert_\w+|add_to_counter\w*|copy_in)\(\s*conn,\s*{STOCK}\b"),
]
# The ledger's own modules, and the schema that creates the tables.
EXEMPT = ("ledger/", "store/migrations/", "store/schema.py")


def writes_to_stock(source: str) -> list[str]:
    return [m.group(0) for pattern in WRITES for m in pattern.finditer(source)]


def test_no_module_outside_the_ledger_writes_movements_serials_or_balances():
    found = {
        str(path.relative_to(PACKAGE)): hits
        for path in sorted(PACKAGE.rglob("*.py"))
        if not str(path.relative_to(PACKAGE)).startswith(EXEMPT)
        and (hits := writes_to_stock(path.read_text()))
    }
    assert found == {}


def test_the_check_sees_the_writes_the_opening_import_used_to_make():
    # What storenet/imports/opening.py wrote before the ledger took it over.
    before = (
        "insert_frame(\n        conn,\n        movements,\n"
        '"INSERT INTO balances (location_id, sku_id, on_hand) SELECT ..."\n'
        "insert_rows(conn, movement_serials, ...)\n"
    )
    assert len(writes_to_stock(before)) == 3
