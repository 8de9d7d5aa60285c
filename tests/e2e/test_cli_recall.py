"""`storenet recall create|show` (issue 15): the campaign id alone on the last line,
the same name again is the same campaign, `show --json` has the funnel (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from storenet.cli import app
from storenet.store.schema import recall_campaigns
from tests.integration.recall.recall_support import HAND_COUNT, seed_recall_stock
from tests.support import seed_small_network


@pytest.fixture
def cli_stock(engine, tmp_path, monkeypatch):
    """The recall stock of tests.integration.recall.recall_support; the CLI on it."""
    seed_small_network(engine)
    seed_recall_stock(engine)
    monkeypatch.setenv("STORENET_HOME", str(tmp_path))
    monkeypatch.setenv("STORENET_DB", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("STORENET_OPERATOR", "planner")
    return engine


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["recall", *args])


def _create(*more: str):  # type: ignore[no-untyped-def]
    return _run(
        "create", "--name", "PH1 battery", "--reason", "battery may swell",
        "--remedy", "replace", *more,
    )  # fmt: skip


def test_create_prints_the_id_last_and_show_json_has_the_funnel(cli_stock):
    made = _create("--skus", "PH1", "--stop-sale")
    assert made.exit_code == 0, made.output
    campaign = made.stdout.strip().splitlines()[-1]
    assert campaign.startswith("RC-") and " " not in campaign
    shown = _run("show", campaign, "--json")
    assert shown.exit_code == 0, shown.output
    figures = json.loads(shown.stdout)
    for key in ("affected", "held_in_network", "in_transit", "sold_reached",
                "sold_unreached", "returned", "remedied"):  # fmt: skip
        assert key in figures
    assert {k: figures[k] for k in HAND_COUNT} == HAND_COUNT
    assert figures["affected"] == 10
    table = _run("show", campaign)
    assert table.exit_code == 0 and "held in network" in table.stdout


def test_the_same_name_again_is_the_same_campaign(cli_stock):
    first = _create("--skus", "PH1", "--stop-sale").stdout.strip().splitlines()[-1]
    again = _create("--model", "phone-x")
    assert again.exit_code == 0, again.output
    assert again.stdout.strip().splitlines()[-1] == first
    with cli_stock.connect() as conn:
        assert conn.execute(select(func.count()).select_from(recall_campaigns)).scalar() == 1


def test_a_serials_file_is_read_and_held(cli_stock, tmp_path):
    listed = tmp_path / "serials.txt"
    listed.write_text("A-1\nB-2\n\nNOT-YET\n")
    made = _create("--serials-file", str(listed), "--stop-sale")
    assert made.exit_code == 0, made.output
    figures = json.loads(_run("show", made.stdout.split()[-1], "--json").stdout)
    assert (figures["affected"], figures["held_in_network"], figures["unlocated"]) == (3, 2, 1)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--skus", "PH1", "--model", "phone-x"), "exactly one"),
        (("--skus", "NOPE"), "not a known SKU"),
        (("--skus", "PH1", "--remedy", "pray"), "remedy"),
        (("--serials-file", "/no/such/file"), "serials-file"),
    ],
)
def test_bad_input_is_refused_naming_the_option(cli_stock, args, says):
    made = _create(*args)
    assert made.exit_code == 2
    assert says in made.output
    assert "Traceback" not in made.output


def test_an_operator_whose_role_may_not_recall_is_refused(cli_stock, monkeypatch):
    monkeypatch.setenv("STORENET_OPERATOR", "fr_f1")
    made = _create("--skus", "PH1")
    assert made.exit_code == 2 and "recall.write" in made.output


def test_notify_queues_and_delivers_each_buyer_once(cli_stock, tmp_path):
    campaign = _create("--skus", "PH1", "--stop-sale").stdout.split()[-1]
    out = tmp_path / "notes.jsonl"
    first = _run("notify", campaign, "--file", str(out))
    assert first.exit_code == 0, first.output
    assert "queued 1; delivered 1; failed 0" in first.stdout
    again = _run("notify", campaign, "--file", str(out))
    assert "queued 0; delivered 0" in again.stdout
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(m["serial"], m["buyer_ref"]) for m in lines] == [("A-3", "buyer-1")]
