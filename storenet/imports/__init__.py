"""Importing master data (regions, cities, warehouses, franchisees, stores, SKUs,
assortment, suppliers, supplier items, lanes), opening stock and the purchase-order
history from a folder of CSV or Parquet files, all or nothing.

`import_folder` is the entry point; docs/data-formats.md is the contract for the files.
Modules: `tables` describes the files, `read` reads them, `parse` and `validate` check
them (`known` reads what the database already holds; `chain_checks` holds the chain's
rules), `write` upserts master data, `order_history` adds past purchase orders,
`opening` posts opening stock through the ledger, `report` says what was done (frames
move in and out of the database through `storenet.store.bulk`).
"""

from storenet.imports.folder import import_folder
from storenet.imports.report import ImportReport, TableCounts

__all__ = ["ImportReport", "TableCounts", "import_folder"]
