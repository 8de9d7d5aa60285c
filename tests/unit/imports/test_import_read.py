"""Finding and reading table files: names, headers, white space, empty cells, rows."""

from __future__ import annotations

from pathlib import Path

from storenet.imports.read import ROW, find_table_files, read_table_file
from storenet.imports.tables import SPEC_BY_NAME


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_table_files_are_found_by_name_and_other_files_are_ignored(tmp_path):
    # given
    write(tmp_path / "stores.csv", "id\n")
    write(tmp_path / "README.txt", "hello\n")
    write(tmp_path / "sales.csv", "x\n")

    # when
    found, problems = find_table_files(tmp_path)

    # then
    assert set(found) == {"stores"} and problems == []


def test_a_table_given_as_csv_and_parquet_is_a_problem(tmp_path):
    # given
    write(tmp_path / "skus.csv", "id\n")
    write(tmp_path / "skus.parquet", "not really parquet")

    # when
    _, problems = find_table_files(tmp_path)

    # then
    [problem] = problems
    assert problem.field == "file" and "both as CSV and as Parquet" in problem.reason


def test_an_empty_or_missing_folder_is_a_problem(tmp_path):
    # when
    _, empty = find_table_files(tmp_path)
    _, missing = find_table_files(tmp_path / "nope")

    # then
    assert "holds no table file" in empty[0].reason
    assert missing[0].reason == "is not a folder"


def test_cells_are_stripped_empty_cells_are_none_and_rows_count_from_one(tmp_path):
    # given: a spreadsheet export with a byte order mark and padded cells
    path = write(
        tmp_path / "franchisees.csv",
        '\ufeffid , name\n F1 ,  Li Wei\nF2,""\n  ,Nobody\n',
    )

    # when
    tf, problems = read_table_file(path, SPEC_BY_NAME["franchisees"])

    # then
    assert problems == []
    assert tf.frame.rows() == [(1, "F1", "Li Wei"), (2, "F2", None), (3, None, "Nobody")]
    assert tf.frame.columns == [ROW, "id", "name"]


def test_unknown_and_missing_required_columns_are_named_in_the_header(tmp_path):
    # given
    path = write(tmp_path / "cities.csv", "id,name,province,region_id,colour\nSH,S,S,E,red\n")

    # when
    tf, problems = read_table_file(path, SPEC_BY_NAME["cities"])

    # then
    assert tf is None
    assert {(p.where, p.field) for p in problems} == {
        ("cities.csv header", "colour"),
        ("cities.csv header", "tier"),
    }


def test_optional_columns_left_out_of_a_file_are_read_as_empty(tmp_path):
    # given
    path = write(tmp_path / "regions.csv", "id,name\nEAST,East\n")

    # when
    tf, _ = read_table_file(path, SPEC_BY_NAME["regions"])

    # then
    assert tf.frame.rows() == [(1, "EAST", "East", None)]


def test_a_file_that_cannot_be_parsed_is_refused_by_name(tmp_path):
    # given
    path = write(tmp_path / "skus.parquet", "this is not parquet")

    # when
    tf, [problem] = read_table_file(path, SPEC_BY_NAME["skus"])

    # then
    assert tf is None
    assert (problem.where, problem.field) == ("skus.parquet", "file")
    assert problem.reason.startswith("cannot be read")


def test_a_column_given_twice_is_refused(tmp_path):
    # given: the same header twice, once padded
    path = write(tmp_path / "regions.csv", "id, id,name\nA,B,C\n")

    # when
    tf, [problem] = read_table_file(path, SPEC_BY_NAME["regions"])

    # then
    assert tf is None
    assert (problem.where, problem.field, problem.reason) == (
        "regions.csv header",
        "id",
        "is a column given twice",
    )
