"""What an import did, table by table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class TableCounts:
    """Rows of one file: read, and of those inserted, updated or left unchanged.

    For `store_owners` / `region_managers`, `read` is the stores / regions read,
    `inserted` the ownership periods opened and `updated` the periods closed. For
    `opening_stock`, `inserted` is the movements posted; rows with zero qty or for a
    (location, SKU) that already had its opening are `unchanged`. For
    `opening_serials`, `inserted` is the serials placed.
    """

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """The result of `import_folder`: counts per table, what the ledger received, notes
    for a person (things accepted but worth a look), and how long it took."""

    folder: str
    at: datetime
    tables: dict[str, TableCounts] = field(default_factory=dict)
    opening_movements: int = 0
    opening_units: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the import wrote anything."""
        return any(c.inserted or c.updated for c in self.tables.values())

    def __str__(self) -> str:
        lines = [f"imported {self.folder} (as of {self.at:%Y-%m-%d %H:%M:%S} UTC)"]
        width = max((len(name) for name in self.tables), default=5)
        lines.append(
            f"  {'table':<{width}}  {'read':>10}  {'inserted':>10}  {'updated':>10}  "
            f"{'unchanged':>10}"
        )
        for name, c in self.tables.items():
            lines.append(
                f"  {name:<{width}}  {c.read:>10,}  {c.inserted:>10,}  {c.updated:>10,}  "
                f"{c.unchanged:>10,}"
            )
        lines.append(
            f"  opening stock: {self.opening_movements:,} movement(s), "
            f"{self.opening_units:,} unit(s)"
        )
        lines += [f"  note: {note}" for note in self.notes]
        lines.append(f"  took {self.seconds:.1f} s")
        return "\n".join(lines)

    def __rich__(self) -> str:
        # The CLI prints the report with Rich; show the plain summary, not a repr.
        return str(self)
