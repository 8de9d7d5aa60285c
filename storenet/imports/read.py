"""Finding and reading the table files of an import folder.

Reading only normalises: every text cell is stripped of surrounding spaces and an empty
cell becomes null ("none"), and each frame gets a 1-based `_row` column (the data row
number, header excluded) so later problems can name the row. Types are parsed by
`storenet.imports.validate`, which also sees typed Parquet columns as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from storenet.errors import Problem
from storenet.imports.tables import SPECS, TableSpec

ROW = "_row"
SUFFIXES = (".csv", ".parquet")


@dataclass
class TableFile:
    """One table file as read: its name (for messages), its spec, its cells, and the
    columns the file itself has (the others were added empty)."""

    file: str
    spec: TableSpec
    frame: pl.DataFrame
    given: frozenset[str] = field(default_factory=frozenset)

    def where(self, row: int | None = None) -> str:
        """``"stores.csv row 7"``, or ``"stores.csv"`` without a row."""
        return self.file if row is None else f"{self.file} row {row}"


def find_table_files(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    """The table files in `folder`, by table name, and problems with the folder.

    Files that are not named after a table are ignored (a folder may hold other
    things). A table given both as CSV and as Parquet is a problem: which one is meant?
    """
    problems: list[Problem] = []
    if not folder.is_dir():
        return {}, [Problem("folder", "is not a folder", str(folder), str(folder))]
    found: dict[str, Path] = {}
    for spec in SPECS:
        paths = [folder / f"{spec.name}{suffix}" for suffix in SUFFIXES]
        present = [p for p in paths if p.is_file()]
        if len(present) > 1:
            problems.append(
                Problem(
                    "file",
                    "is given both as CSV and as Parquet; keep one",
                    str(folder),
                    [p.name for p in present],
                )
            )
        elif present:
            found[spec.name] = present[0]
    if not found and not problems:
        expected = ", ".join(f"{s.name}.csv" for s in SPECS)
        problems.append(
            Problem("folder", f"holds no table file (expected any of {expected})", str(folder))
        )
    return found, problems


def read_table_file(path: Path, spec: TableSpec) -> tuple[TableFile | None, list[Problem]]:
    """Read one table file into a frame with `_row` and the spec's fields.

    Problems: the file cannot be parsed, a column is not one of the table's fields, or a
    required column is missing. A field the file leaves out is added as all-null, so
    every frame has every field. CSV cells are read as text; Parquet keeps its types.
    """
    where = f"{path.name} header"
    try:
        if path.suffix == ".csv":
            data = path.read_bytes()
            frame = pl.read_csv(data, infer_schema=False, encoding="utf8")
            padded = _may_be_padded(data)
        else:
            frame = pl.read_parquet(path)
            padded = True
    except Exception as error:  # a broken file is input to refuse, whatever broke
        reason = f"cannot be read: {str(error).splitlines()[0] if str(error) else error}"
        return None, [Problem("file", reason, path.name)]
    # Spreadsheet exports often start with a byte order mark and pad headers.
    names = [c.lstrip("\ufeff").strip() for c in frame.columns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return None, [Problem(n, "is a column given twice", where) for n in twice]
    frame = frame.rename(dict(zip(frame.columns, names)))
    problems = [
        Problem(c, f"is not a column of {spec.name} (expected: {', '.join(spec.names)})", where)
        for c in frame.columns
        if c not in spec.names
    ]
    problems += [
        Problem(f.name, "is a required column and is missing", where)
        for f in spec.fields
        if f.required and f.name not in frame.columns
    ]
    if problems:
        return None, problems
    given = frozenset(frame.columns)
    frame = frame.with_row_index(ROW, offset=1).select(
        pl.col(ROW).cast(pl.Int64), *[_normalised(frame, f.name, padded) for f in spec.fields]
    )
    return TableFile(path.name, spec, frame, given), []


def _may_be_padded(data: bytes) -> bool:
    """False when no cell of CSV `data` can start or end with white space.

    Stripping rewrites every string of a column; most files need none. Big tables hold
    codes and numbers with no blank at all, and finding none is a fast byte search. A
    file with blanks (names, say) has its text columns checked one by one.
    """
    return b" " in data or b"\t" in data


def _normalised(frame: pl.DataFrame, name: str, padded: bool) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.String).alias(name)
    dtype = frame.schema[name]
    if dtype not in (pl.String, pl.Categorical) and not isinstance(dtype, pl.Enum):
        return pl.col(name)
    text = pl.col(name).cast(pl.String)
    if padded and frame.select(_padded(text).any()).item():
        text = text.str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text).alias(name)


def _padded(text: pl.Expr) -> pl.Expr:
    return pl.any_horizontal(
        text.str.starts_with(c) | text.str.ends_with(c) for c in (" ", "\t", "\r", "\n")
    )
