"""Writing the generator's files: master tables and the monthly sales history.

Formats are those of docs/data-formats.md. Id columns are written dictionary-encoded
(a store id is stored once per row group, rows hold small integers), but the Arrow
schema is not embedded, so every reader sees plain strings. Files are written under a
temporary name and renamed when complete, so a reader never sees half a file.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

COMPRESSION = "zstd"

HISTORY_SCHEMA = pa.schema(
    [
        ("store_id", pa.dictionary(pa.int32(), pa.string())),
        ("sku_id", pa.dictionary(pa.int32(), pa.string())),
        ("day", pa.date32()),
        ("units", pa.int32()),
        ("returns", pa.int32()),
        ("revenue_cents", pa.int64()),
        ("closing_on_hand", pa.int32()),
        ("demand", pa.int32()),
    ]
)


def ids(indices: np.ndarray, dictionary: pa.Array) -> pa.DictionaryArray:
    """Id strings as a dictionary array: `indices` (ints) into `dictionary` (strings)."""
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), dictionary)


def dates(days: np.ndarray) -> pa.Array:
    """``datetime64[D]`` (NaT = null) as an Arrow date32 array."""
    days = np.asarray(days, dtype="datetime64[D]")
    return pa.array(days, pa.date32(), mask=np.isnat(days))


def write_table(table: pa.Table, path: Path) -> int:
    """Write `table` to `path` (Parquet) atomically; returns the file's size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression=COMPRESSION, store_schema=False)
    tmp.replace(path)
    return path.stat().st_size


class HistoryWriter:
    """Streams daily history rows to ``<dir>/month=YYYY-MM/part-0.parquet``.

    One row group per day; files are written by a background thread so compression
    overlaps the simulation of the next day. Call `add_day` in day order, then
    `close` (which re-raises any error of the writing thread).
    """

    def __init__(self, history_dir: Path, store_ids: list[str], sku_ids: list[str]) -> None:
        self.history_dir = history_dir
        self.stores = pa.array(store_ids, pa.string())
        self.skus = pa.array(sku_ids, pa.string())
        self.rows = 0
        self.bytes = 0
        self.files: list[Path] = []
        self._error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=3)
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._thread.start()

    def add_day(
        self,
        day: np.datetime64,
        store: np.ndarray,
        sku: np.ndarray,
        units: np.ndarray,
        returns: np.ndarray,
        revenue_cents: np.ndarray,
        closing_on_hand: np.ndarray,
        demand: np.ndarray,
    ) -> None:
        """Queue one day's rows (arrays of equal length, indices into the id lists)."""
        if self._error is not None:
            raise self._error
        self.rows += len(store)
        self._queue.put((day, store, sku, units, returns, revenue_cents, closing_on_hand, demand))

    def close(self) -> None:
        """Finish the last file and stop the thread; raises what the thread raised."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _table(self, item: tuple) -> pa.Table:
        day, store, sku, units, returns, revenue, closing, demand = item
        n = len(store)
        day_number = np.datetime64(day, "D").astype(np.int64)  # date32: days since 1970
        return pa.Table.from_arrays(
            [
                ids(store, self.stores),
                ids(sku, self.skus),
                pa.array(np.full(n, day_number, dtype=np.int32)).view(pa.date32()),
                pa.array(units, pa.int32()),
                pa.array(returns, pa.int32()),
                pa.array(revenue, pa.int64()),
                pa.array(closing, pa.int32()),
                pa.array(demand, pa.int32()),
            ],
            schema=HISTORY_SCHEMA,
        )

    def _run(self) -> None:
        writer: pq.ParquetWriter | None = None
        month = None
        tmp = path = None
        while True:
            item = self._queue.get()
            if item is None:
                break
            if self._error is not None:
                continue  # keep draining so the producer never blocks
            try:
                this_month = str(np.datetime64(item[0], "M"))
                if this_month != month:
                    if writer is not None:
                        self._finish(writer, tmp, path)
                    month = this_month
                    path = self.history_dir / f"month={month}" / "part-0.parquet"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_name(path.name + ".tmp")
                    writer = pq.ParquetWriter(
                        tmp, HISTORY_SCHEMA, compression=COMPRESSION, store_schema=False
                    )
                writer.write_table(self._table(item))
            except BaseException as error:  # handed to the producer by close()
                self._error = error
        if writer is not None and self._error is None:
            try:
                self._finish(writer, tmp, path)
            except BaseException as error:
                self._error = error

    def _finish(self, writer: pq.ParquetWriter, tmp: Path, path: Path) -> None:
        writer.close()
        tmp.replace(path)
        self.bytes += path.stat().st_size
        self.files.append(path)
