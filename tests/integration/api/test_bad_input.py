"""Bad input found by probing the running service (issue 13 items 9 and 10,
RELIABILITY item 18): a 422 naming the field, never a 500, nothing written."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import sale
from tests.integration.api.helpers import snapshot


def _post(api, lines: list[dict], key: str):  # type: ignore[no-untyped-def]
    with api.client("pos_s2") as c:
        return c.post("/pos/batches", json={"lines": lines}, headers={"Idempotency-Key": key})


def _refused(api, lines: list[dict]) -> list[dict]:  # type: ignore[no-untyped-def]
    """The problems of a refused batch, having checked nothing was written."""
    before = snapshot(api.engine)
    r = _post(api, lines, "bad")
    assert r.status_code == 422, r.text
    assert snapshot(api.engine) == before
    return r.json()["problems"]


@pytest.mark.parametrize("at", ["9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00"])
def test_a_pos_line_dated_out_of_range_is_a_422_naming_line_and_at(api, at):
    problems = _refused(api, [sale(1), sale(2, at=at)])
    assert [(p["where"], p["field"]) for p in problems] == [("line 2", "at")]


def test_a_pos_line_dated_weeks_ahead_is_a_422_naming_line_and_at(api):
    problems = _refused(api, [sale(1, at="2099-06-01T10:00:00+08:00")])
    assert [(p["where"], p["field"]) for p in problems] == [("line 1", "at")]
    assert "more than a day after the server's time" in problems[0]["reason"]


def test_a_pos_line_without_a_utc_offset_is_a_422_naming_at(api):
    problems = _refused(api, [sale(1, at="2026-11-20T10:00:00")])
    assert [(p["where"], p["field"]) for p in problems] == [("line 1", "at")]
    assert "no UTC offset" in problems[0]["reason"]


def test_a_nul_in_a_receipt_is_a_422_naming_the_receipt_on_every_database(api):
    problems = _refused(api, [sale(1, receipt="R\u0000NUL")])
    assert [(p["where"], p["field"]) for p in problems] == [("line 1", "receipt")]
    assert "control character" in problems[0]["reason"]


@pytest.mark.parametrize("field", ["qty", "line", "unit_price"])
def test_a_boolean_quantity_line_number_or_price_is_a_422_not_one(api, field):
    problems = _refused(api, [sale(1, **{field: True})])
    assert [(p["where"], p["field"]) for p in problems] == [("line 1", field)]
    assert problems[0]["reason"] == "must be a number, not a boolean"


def test_a_line_may_name_store_id_and_sku_id_like_the_import_files(api):
    line = sale(1, receipt="R-ID")
    line["store_id"], line["sku_id"] = line.pop("store"), line.pop("sku")
    r = _post(api, [line], "ids")
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1


def test_an_unknown_sku_given_as_sku_id_is_refused_naming_sku_id(api):
    named = sale(1, receipt="R-ID")
    named["store_id"], named["sku_id"] = named.pop("store"), "NO-SUCH-SKU"
    named.pop("sku")
    short = sale(2, receipt="R-ID", sku="NO-SUCH-SKU")
    problems = _refused(api, [named, short])
    assert [(p["where"], p["field"]) for p in problems] == [("line 1", "sku_id"), ("line 2", "sku")]


def test_a_line_naming_another_store_by_store_id_is_refused_by_access(api):
    line = sale(1, receipt="R-ID")
    line["store_id"] = line.pop("store").replace("S2", "S1")
    before = snapshot(api.engine)
    assert _post(api, [line], "other").status_code in (403, 404)
    assert snapshot(api.engine) == before


@pytest.mark.parametrize("at", ["9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00"])
def test_stock_as_of_a_time_out_of_range_is_a_422_naming_as_of(api, at):
    with api.client("admin") as c:
        r = c.get("/stock/S2", params={"as_of": at})
    assert r.status_code == 422, r.text
    assert [p["field"] for p in r.json()["problems"]] == ["as_of"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/stock/S1/counts", {"sku": "K1", "counted": True}, "counted"),
        ("POST", "/stock/S1/adjustments", {"sku": "K1", "delta": True, "reason": "x"}, "delta"),
        (
            "POST",
            "/transfers",
            {
                "transfer_id": "T-bool",
                "source": "S1",
                "destination": "S2",
                "lines": [{"sku": "K1", "qty": True}],
            },
            "qty",
        ),
    ],
)
def test_a_boolean_count_delta_or_transfer_quantity_is_a_422_not_one(
    api, method, path, body, field
):
    before = snapshot(api.engine)
    with api.client("admin") as c:
        r = c.request(method, path, json=body, headers={"Idempotency-Key": "bool"})
    assert r.status_code == 422, r.text
    assert field in {p["field"].split(".")[-1] for p in r.json()["problems"]}
    assert snapshot(api.engine) == before
