"""Checking a folder's files, whole columns at a time, and naming every bad cell.

Two passes, both columnar (polars expressions over whole columns, joins for
references), so millions of rows check in seconds:

1. `check_files` needs only the files: required values, types, choices, ranges,
   duplicate keys, and rules within a row. It returns the typed frames (defaults
   filled) that the rest of the import works on.
2. `check_against_database` needs the database too (`Known`): references to regions,
   cities, franchisees, warehouses, stores, SKUs and successors (in the files or already
   stored), store and warehouse ids kept apart, opening serials matching opening stock,
   serials new to the ledger, and ownership changes not dated before the current owner.

Every problem is added to a `Problems`, never raised, so one refusal lists them all.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from storenet.imports.chain_checks import chain_row_checks, normalised_order_days
from storenet.imports.checks import Check, apply_checks
from storenet.imports.known import Known, without
from storenet.imports.parse import INVALID, parsed
from storenet.imports.problems import Problems
from storenet.imports.read import ROW, TableFile
from storenet.imports.tables import (
    CHOICE,
    MONEY,
    NOUNS,
    REFERENCES,
    SERIAL_CATEGORIES,
    TEXT,
    Field,
)

RAW = "__given"  # suffix of the cells as given, kept next to the parsed ones
# Control characters (tables.Field says why), as regular expressions of polars.
CONTROL = r"[\x00-\x1F\x7F-\x{9F}]"
CONTROL_BUT_TAB = r"[\x00-\x08\x0A-\x1F\x7F-\x{9F}]"


def check_files(files: dict[str, TableFile], problems: Problems) -> dict[str, TableFile]:
    """Parse every file into its fields' types and add the problems found in it alone.

    Returns the files with typed frames: `_row` plus one column per field, unreadable
    cells null, empty cells filled with their field's default (serial_tracked with its
    category's default).
    """
    typed: dict[str, TableFile] = {}
    for name, tf in files.items():
        spec = tf.spec
        frame = tf.frame.select(
            ROW,
            *[parsed(f, tf.frame.schema[f.name]) for f in spec.fields],
            *[pl.col(f.name).alias(f.name + RAW) for f in spec.fields],
        )
        checks = [c for f in spec.fields for c in _field_checks(tf, f)]
        checks += _row_checks(name)
        apply_checks(tf, frame, checks, problems)
        _check_duplicates(tf, frame, list(spec.key), problems)
        frame = frame.select(ROW, *[_with_default(f) for f in spec.fields]).with_columns(
            _serial_default(spec.names)
        )
        frame = frame.with_columns(normalised_order_days(spec.names))
        typed[name] = TableFile(tf.file, spec, frame.select(ROW, *spec.names), tf.given)
    return typed


def _field_checks(tf: TableFile, f: Field) -> list[Check]:
    given = pl.col(f.name + RAW)
    value = pl.col(f.name)
    checks = []
    if f.required:
        checks.append(Check(f.name, "is required", given.is_null(), given))
    checks.append(Check(f.name, INVALID[f.kind], given.is_not_null() & value.is_null(), given))
    max_len = tf.spec.max_len(f)
    if f.kind in (TEXT, CHOICE) and max_len:
        checks.append(
            Check(
                f.name,
                f"is longer than {max_len} characters",
                value.str.len_chars() > max_len,
                value,
            )
        )
    if f.kind == TEXT:  # a CHOICE is checked against its choices
        checks.append(
            Check(
                f.name,
                "holds a control character (like NUL or a line break)"
                + ("; only a tab is allowed in a name" if f.free_text else ": ids may not"),
                value.str.contains(CONTROL_BUT_TAB if f.free_text else CONTROL),
                value,
            )
        )
    if f.choices:
        checks.append(
            Check(
                f.name,
                f"must be one of {', '.join(f.choices)}",
                value.is_not_null() & ~value.is_in(list(f.choices)),
                value,
            )
        )
    scale = 100 if f.kind == MONEY else 1
    if f.low is not None:
        checks.append(Check(f.name, f"must be {f.low:g} or more", value < f.low * scale, given))
    if f.high is not None:
        checks.append(Check(f.name, f"must be {f.high:g} or less", value > f.high * scale, given))
    return checks


def _row_checks(table: str) -> list[Check]:
    c = pl.col
    if table == "stores":
        return [
            Check(
                "franchisee_id",
                "a franchise store must name its franchisee",
                (c("format") == "franchise") & c("franchisee_id").is_null(),
                c("franchisee_id"),
            ),
            Check(
                "franchisee_id",
                "only a franchise store has a franchisee",
                (c("format") != "franchise") & c("franchisee_id").is_not_null(),
                c("franchisee_id"),
                why=pl.format(
                    "only a franchise store has a franchisee; a {} store is HQ's", c("format")
                ),
            ),
            Check(
                "closed_on", "is before opened_on", c("closed_on") < c("opened_on"), c("closed_on")
            ),
        ]
    if table == "skus":
        return [
            Check("eol_on", "is before launch_on", c("eol_on") < c("launch_on"), c("eol_on")),
            Check(
                "successor_id", "a SKU cannot succeed itself", c("successor_id") == c("id"), c("id")
            ),
        ]
    if table == "assortment":
        return [
            Check(
                "capacity",
                "is below display_min",
                c("capacity") < c("display_min").fill_null(0),
                c("capacity"),
                why=pl.format("is below display_min ({})", c("display_min").fill_null(0)),
            ),
            Check(
                "listed_to",
                "is before listed_from",
                c("listed_to") < c("listed_from"),
                c("listed_to"),
            ),
        ]
    return chain_row_checks(table)


def _check_duplicates(
    tf: TableFile, frame: pl.DataFrame, key: list[str], problems: Problems
) -> None:
    """Refuse every row whose key an earlier row already has, naming that row."""
    complete = frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in key))
    # Hashing the key and counting distinct hashes is fast on millions of rows; only
    # when some hashes repeat are those few rows compared exactly.
    hashed = complete.select(pl.struct(key).hash().alias("h"))["h"]
    if hashed.n_unique() == hashed.len():
        return
    suspects = complete.filter(hashed.is_duplicated()).with_columns(
        pl.col(ROW).min().over(key).alias("first")
    )
    shown = pl.col(key[0]) if len(key) == 1 else pl.concat_str(key, separator=", ")
    rows = suspects.filter(pl.col(ROW) != pl.col("first")).select(
        ROW,
        shown.alias("value"),
        pl.format("duplicate key: row {} has the same", pl.col("first")).alias("reason"),
    )
    problems.add_rows(tf, ", ".join(key), "", rows)


def _with_default(f: Field) -> pl.Expr:
    if f.default is None:
        return pl.col(f.name)
    return pl.col(f.name).fill_null(f.default)


def _serial_default(names: list[str]) -> list[pl.Expr]:
    if "serial_tracked" not in names:
        return []
    by_category = pl.col("category").is_in(list(SERIAL_CATEGORIES))
    return [pl.col("serial_tracked").fill_null(by_category).alias("serial_tracked")]


# --- pass 2: against the database ---------------------------------------------------


def check_against_database(
    files: dict[str, TableFile],
    known: Known,
    at: datetime,
    problems: Problems,
    unreadable: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Add the problems that need the database as well as the files (typed, from
    `check_files`): references, id clashes, opening serials, ownership dates.

    References into a table whose file could not be read are not checked: every one
    would look unknown, and the file's own problem already says what is wrong.
    """
    ids = _all_ids(files, known)
    for table, field, target in REFERENCES:
        targets = {"stores", "warehouses"} if target == "locations" else {target}
        if table not in files or targets & unreadable:
            continue
        tf = files[table]
        value = pl.col(field)
        source = f"{target} file" if target != "locations" else "stores or warehouses files"
        apply_checks(
            tf,
            tf.frame,
            [
                Check(
                    field,
                    f"is not a known {NOUNS[target]}: neither the folder's {source} "
                    "nor the database has it",
                    value.is_not_null() & ~value.is_in(ids[target].implode()),
                    value,
                )
            ],
            problems,
        )
    _check_id_clash(files, known, problems)
    _check_city_regions(files, known, ids["regions"], problems)
    _check_serials(files, known, problems)
    _check_owner_dates(files, known, at, problems)


def _all_ids(files: dict[str, TableFile], known: Known) -> dict[str, pl.Series]:
    out = {}
    for table, stored in known.ids.items():
        if table in files:
            out[table] = pl.concat([files[table].frame["id"].drop_nulls(), stored]).unique()
        else:
            out[table] = stored
    out["locations"] = pl.concat([out["stores"], out["warehouses"]]).unique()
    return out


def city_regions(files: dict[str, TableFile], known: Known) -> pl.DataFrame:
    """(city_id, city_region) of every city: the file's where the folder has the city,
    the database's otherwise."""
    stored = known.city_regions.rename({"region_id": "city_region"})
    if "cities" not in files:
        return stored
    given = (
        files["cities"]
        .frame.select(pl.col("id").alias("city_id"), pl.col("region_id").alias("city_region"))
        .drop_nulls("city_id")
    )
    return pl.concat([given, stored.join(given, on="city_id", how="anti")])


def _check_city_regions(
    files: dict[str, TableFile], known: Known, regions: pl.Series, problems: Problems
) -> None:
    # A store's region is where its city is: a store filed under another region would
    # be planned, supplied and reported with the wrong region. An unknown region or
    # city is already a problem of its own.
    if "stores" not in files:
        return
    tf = files["stores"]
    placed = tf.frame.join(city_regions(files, known), on="city_id", how="inner")
    rows = placed.filter(
        pl.col("region_id").ne_missing(pl.col("city_region"))
        & pl.col("region_id").is_in(regions.implode())
    ).select(
        ROW,
        pl.col("region_id").alias("value"),
        pl.format(
            "is not the region of city {}, which is in {}", pl.col("city_id"), pl.col("city_region")
        ).alias("reason"),
    )
    problems.add_rows(tf, "region_id", "", rows)


def _check_id_clash(files: dict[str, TableFile], known: Known, problems: Problems) -> None:
    # Store and warehouse ids share one namespace: an opening_stock location_id must
    # name exactly one place.
    stores = known.ids["stores"]
    if "stores" in files:
        stores = pl.concat([stores, files["stores"].frame["id"].drop_nulls()])
        apply_checks(
            files["stores"],
            files["stores"].frame,
            [
                Check(
                    "id",
                    "is already a warehouse id; store and warehouse ids must differ",
                    pl.col("id").is_in(known.ids["warehouses"].implode()),
                    pl.col("id"),
                )
            ],
            problems,
        )
    if "warehouses" in files:
        apply_checks(
            files["warehouses"],
            files["warehouses"].frame,
            [
                Check(
                    "id",
                    "is also a store id; store and warehouse ids must differ",
                    pl.col("id").is_in(stores.implode()),
                    pl.col("id"),
                )
            ],
            problems,
        )


def serial_flags(files: dict[str, TableFile], known: Known) -> pl.DataFrame:
    """(sku_id, serial_tracked) for every SKU: the file's value where the folder has
    the SKU, the database's otherwise."""
    stored = known.serial_tracked
    if "skus" not in files:
        return stored
    given = (
        files["skus"]
        .frame.select(pl.col("id").alias("sku_id"), "serial_tracked")
        .drop_nulls("sku_id")
    )
    return pl.concat([given, stored.join(given, on="sku_id", how="anti")])


def _check_serials(files: dict[str, TableFile], known: Known, problems: Problems) -> None:
    if "opening_stock" not in files and "opening_serials" not in files:
        return
    flags = serial_flags(files, known)
    tracked = flags.filter(pl.col("serial_tracked"))["sku_id"]
    serial_files = files.get("opening_serials")
    if serial_files is not None:
        serials = serial_files.frame
        apply_checks(
            serial_files,
            serials,
            [
                Check(
                    "sku_id",
                    "is not serial-tracked: give its opening stock without serials",
                    pl.col("sku_id").is_in(flags["sku_id"].implode())
                    & ~pl.col("sku_id").is_in(tracked.implode()),
                    pl.col("sku_id"),
                )
            ],
            problems,
        )
        counts = (
            serials.drop_nulls(["location_id", "sku_id"])
            .group_by("location_id", "sku_id")
            .agg(pl.col("serial").n_unique().alias("serials"), pl.col(ROW).min())
        )
    else:
        counts = pl.DataFrame(
            schema={
                "location_id": pl.String,
                "sku_id": pl.String,
                "serials": pl.UInt32,
                ROW: pl.Int64,
            }
        )
    stock = files.get("opening_stock")
    stock_pairs = (
        stock.frame.select("location_id", "sku_id", "qty")
        if stock is not None
        else pl.DataFrame(schema={"location_id": pl.String, "sku_id": pl.String, "qty": pl.Int64})
    )
    if stock is not None:
        # Every unit of a serial-tracked SKU needs its serial.
        with_counts = stock.frame.filter(pl.col("sku_id").is_in(tracked.implode())).join(
            counts.drop(ROW), on=["location_id", "sku_id"], how="left"
        )
        rows = with_counts.filter(
            pl.col("qty").is_not_null() & (pl.col("serials").fill_null(0) != pl.col("qty"))
        ).select(
            ROW,
            pl.col("qty").alias("value"),
            pl.format(
                "{} is serial-tracked: qty must equal the serials opening_serials lists "
                "for this location ({})",
                pl.col("sku_id"),
                pl.col("serials").fill_null(0),
            ).alias("reason"),
        )
        problems.add_rows(stock, "qty", "", rows)
    if serial_files is not None:
        orphans = counts.filter(pl.col("sku_id").is_in(tracked.implode())).join(
            stock_pairs, on=["location_id", "sku_id"], how="anti"
        )
        rows = orphans.select(
            ROW,
            pl.col("location_id").alias("value"),
            pl.format(
                "opening_stock has no row for {} at {} ({} serial(s) listed)",
                pl.col("sku_id"),
                pl.col("location_id"),
                pl.col("serials"),
            ).alias("reason"),
        )
        problems.add_rows(serial_files, "location_id", "", rows)
        # A serial is one unit: one already in the ledger cannot open again, unless
        # its pair's opening was posted before and is skipped now (a re-import).
        fresh = without(serials, known.openings, ["location_id", "sku_id"])
        taken = fresh.join(
            known.ledger_serials.rename({"location_id": "held_at"}), on="serial", how="inner"
        )
        rows = taken.select(
            ROW,
            pl.col("serial").alias("value"),
            pl.format(
                "is already in the ledger (at {})",
                pl.col("held_at").fill_null("a virtual location"),
            ).alias("reason"),
        )
        problems.add_rows(serial_files, "serial", "", rows)


def _check_owner_dates(
    files: dict[str, TableFile], known: Known, at: datetime, problems: Problems
) -> None:
    # History is kept, never rewritten: a change must not be dated before the row
    # it closes began.
    pairs = (
        ("stores", "franchisee_id", known.owners, "store_id", "franchisee_id", "owner"),
        ("regions", "manager", known.managers, "region_id", "manager", "manager"),
    )
    for table, field, current, key, column, noun in pairs:
        if table not in files:
            continue
        tf = files[table]
        late = tf.frame.join(
            current.rename({column: "current"}), left_on="id", right_on=key, how="inner"
        ).filter(pl.col(field).ne_missing(pl.col("current")) & (pl.col("valid_from") > at))
        rows = late.select(
            ROW,
            pl.col(field).alias("value"),
            pl.format(
                "the current {} has been recorded since {}, after this import's time {}",
                pl.lit(noun),
                pl.col("valid_from"),
                pl.lit(str(at)),
            ).alias("reason"),
        )
        problems.add_rows(tf, field, "", rows)
