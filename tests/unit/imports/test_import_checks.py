"""Checks that need only the files: each bad cell is named by file, row and field."""

from __future__ import annotations

from pathlib import Path

from storenet.imports.problems import Problems
from storenet.imports.read import TableFile, read_table_file
from storenet.imports.tables import SPEC_BY_NAME
from storenet.imports.validate import check_files


def checked(tmp_path: Path, table: str, text: str) -> tuple[TableFile, Problems]:
    path = tmp_path / f"{table}.csv"
    path.write_text(text, encoding="utf-8")
    tf, header_problems = read_table_file(path, SPEC_BY_NAME[table])
    assert header_problems == []
    problems = Problems()
    typed = check_files({table: tf}, problems)
    return typed[table], problems


def named(problems: Problems) -> dict[tuple[str, str], str]:
    return {(p.where, p.field): p.reason for p in problems.refusal().problems}


def test_defaults_fill_empty_cells_after_checking(tmp_path):
    # given
    text = (
        "id,name,category,model,variant,launch_on,pack_size,cost,price,serial_tracked\n"
        "PH1,Phone,phone,px,,2025-01-01,,1.00,2.00,\n"
        "TV1,TV,tv,t,,2025-01-01,,1,2,false\n"
        "K1,Cable,accessory,c,,2025-01-01,3,1,2,\n"
    )

    # when
    tf, problems = checked(tmp_path, "skus", text)

    # then
    assert not problems
    frame = tf.frame
    assert frame["variant"].to_list() == ["", "", ""]
    assert frame["pack_size"].to_list() == [1, 1, 3]
    assert frame["serial_tracked"].to_list() == [True, False, False]
    assert frame["cost"].to_list() == [100, 100, 100]


def test_assortment_rules_capacity_dates_and_duplicates(tmp_path):
    # given
    text = (
        "store_id,sku_id,display_min,capacity,listed_from,listed_to\n"
        "S1,K1,2,5,2025-01-01,2025-02-01\n"
        "S1,K2,3,2,,\n"
        "S1,K3,,,2025-03-01,2025-02-01\n"
        "S1,K1,0,1,,\n"
        ",K4,0,1,,\n"
    )

    # when
    _, problems = checked(tmp_path, "assortment", text)

    # then
    assert named(problems) == {
        ("assortment.csv row 2", "capacity"): "is below display_min (3)",
        ("assortment.csv row 3", "listed_to"): "is before listed_from",
        ("assortment.csv row 4", "store_id, sku_id"): "duplicate key: row 1 has the same",
        ("assortment.csv row 5", "store_id"): "is required",
    }


def test_text_longer_than_its_column_is_refused(tmp_path):
    # given
    text = f"id,name\nF1,{'x' * 201}\n{'F' * 33},ok\n"

    # when
    _, problems = checked(tmp_path, "franchisees", text)

    # then
    assert named(problems) == {
        ("franchisees.csv row 1", "name"): "is longer than 200 characters",
        ("franchisees.csv row 2", "id"): "is longer than 32 characters",
    }


def test_store_rules_franchisee_and_closing_date(tmp_path):
    # given
    text = (
        "id,name,format,region_id,city_id,opened_on,closed_on,status,franchisee_id\n"
        "S1,a,franchise,R,C,2025-01-01,,open,F1\n"
        "S2,b,franchise,R,C,2025-01-01,,open,\n"
        "S3,c,direct,R,C,2025-05-01,2025-04-01,closed,\n"
        "S4,d,direct,R,C,,,shut,\n"
    )

    # when
    _, problems = checked(tmp_path, "stores", text)

    # then
    assert named(problems) == {
        ("stores.csv row 2", "franchisee_id"): "a franchise store must name its franchisee",
        ("stores.csv row 3", "closed_on"): "is before opened_on",
        ("stores.csv row 4", "status"): "must be one of planned, open, closed",
    }


def test_problems_are_listed_in_file_and_row_order_and_cut_with_a_count(tmp_path):
    # given
    rows = "".join(f"F{i},\n" for i in range(300))

    # when
    _, problems = checked(tmp_path, "franchisees", "id,name\n" + rows)

    # then
    listed = problems.refusal().problems
    assert problems.total == 300 and len(listed) == 201
    assert [p.where for p in listed[:3]] == [f"franchisees.csv row {i}" for i in (1, 2, 3)]
    assert listed[-1].reason == "100 more problem(s) not listed"
