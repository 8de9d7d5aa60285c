"""`storenet plan edit/approve/release` act as a named operator: the same access check
and the same audit entries as the API and the console (issue 13, item 6)."""

from __future__ import annotations

import functools
import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from storenet.accounts.passwords import hash_password
from storenet.accounts.users import create_user, disable_user
from storenet.cli import app
from storenet.datagen import NetworkSpec, generate
from storenet.imports import import_folder
from storenet.planning.service import run_plan
from storenet.settings import Settings
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, plans
from tests.integration.api.helpers import audit_actions
from tests.snapshots import seed_from_snapshot


@functools.cache
def _password_hash(password: str) -> str:
    return hash_password(password)


def draft_a_plan(engine, home):  # type: ignore[no-untyped-def]
    """Generate and import a network into `home`, draft tonight's plan, and create a
    planner, an auditor and a disabled planner. Returns the plan's id."""
    generate(NetworkSpec(stores=20, skus=30, days=90, seed=5), home)
    import_folder(engine, home / "master")
    url = engine.url.render_as_string(hide_password=False)
    header, _ = run_plan(Settings(home=home, db_url=url), engine)

    def people(conn):  # type: ignore[no-untyped-def]
        made = {}
        for name, role in (
            ("planner", "hq_planner"),
            ("auditor", "auditor"),
            ("gone", "hq_planner"),
        ):
            made[name] = create_user(
                conn, actor="test", username=name, role=role, password="long enough pw"
            )
        disable_user(conn, actor="test", user_id=made["gone"]["id"])

    unit_of_work(engine, people)
    return header["id"]


@pytest.fixture
def drafted(engine, tmp_path, monkeypatch):
    """A drafted plan, a planner, an auditor and a disabled planner (drafted once per
    process and database kind, copied in: tests.snapshots); the CLI's environment
    pointing at them. Returns (engine, plan id)."""
    monkeypatch.setattr("storenet.accounts.users.hash_password", _password_hash)
    plan_id = seed_from_snapshot("cli-drafted", engine, tmp_path, draft_a_plan)
    monkeypatch.setenv("STORENET_HOME", str(tmp_path))
    monkeypatch.setenv("STORENET_DB", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("STORENET_OPERATOR", raising=False)
    return engine, plan_id


def _status(engine, plan_id: str) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(plans.c.status).where(plans.c.id == plan_id)).scalar()


def _entries(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return len(conn.execute(select(audit_log.c.seq)).all())


def test_approving_on_the_command_line_needs_a_known_person_allowed_to_plan(drafted):
    engine, plan_id = drafted
    cli = CliRunner()
    entries = _entries(engine)
    for who, says in (
        ([], "operator: is required"),
        (["--as", "nobody"], "operator: is not a known user"),
        (["--as", "gone"], "operator: is disabled"),
    ):
        refused = cli.invoke(app, ["plan", "approve", plan_id, *who])
        assert refused.exit_code == 2, refused.output
        assert says in refused.output
    assert _entries(engine) == entries
    denied = cli.invoke(app, ["plan", "approve", plan_id, "--as", "auditor"])
    assert denied.exit_code == 2
    assert "the role auditor may not do plan.write" in denied.output
    assert _status(engine, plan_id) == "draft"
    assert audit_actions(engine)[-1] == ("auditor", "denied", f"storenet plan approve {plan_id}")


def test_edits_approval_and_release_on_the_command_line_are_audited_like_the_apis(drafted):
    engine, plan_id = drafted
    cli = CliRunner()
    edited = cli.invoke(app, ["plan", "edit", plan_id, "1", "0", "--as", "planner"])
    assert edited.exit_code == 0, edited.output
    approved = cli.invoke(app, ["plan", "approve", plan_id, "--as", "planner"])
    assert approved.exit_code == 0, approved.output
    released = cli.invoke(app, ["plan", "release", plan_id], env={"STORENET_OPERATOR": "planner"})
    assert released.exit_code == 0, released.output
    assert _status(engine, plan_id) == "released"
    plan_entries = [a for a in audit_actions(engine) if a[1].startswith("plan.")]
    assert plan_entries == [
        ("planner", "plan.edit", f"plan:{plan_id}#1"),
        ("planner", "plan.approve", f"plan:{plan_id}"),
        ("planner", "plan.release", f"plan:{plan_id}"),
    ]
    # A second release changes nothing and writes no second entry.
    again = cli.invoke(app, ["plan", "release", plan_id, "--as", "planner"])
    assert again.exit_code == 0
    assert [a for a in audit_actions(engine) if a[1].startswith("plan.")] == plan_entries


def test_an_approved_plan_reopens_and_is_cancelled_on_the_command_line_with_a_reason(drafted):
    engine, plan_id = drafted
    cli = CliRunner()
    assert cli.invoke(app, ["plan", "approve", plan_id, "--as", "planner"]).exit_code == 0
    no_reason = cli.invoke(app, ["plan", "reopen", plan_id, "--as", "planner", "--reason", " "])
    assert no_reason.exit_code == 2 and "reason: is required" in no_reason.output
    reopened = cli.invoke(app, ["plan", "reopen", plan_id, "--as", "planner", "--reason", "fix"])
    assert reopened.exit_code == 0, reopened.output
    assert _status(engine, plan_id) == "draft"
    cancelled = cli.invoke(app, ["plan", "cancel", plan_id, "--as", "planner", "--reason", "redo"])
    assert cancelled.exit_code == 0, cancelled.output
    assert _status(engine, plan_id) == "cancelled"
    assert [a[1] for a in audit_actions(engine) if a[1].startswith("plan.")] == [
        "plan.approve",
        "plan.reopen",
        "plan.cancel",
    ]


def test_an_edit_beyond_the_source_stock_is_warned_on_the_command_line(drafted):
    engine, plan_id = drafted
    edited = CliRunner().invoke(app, ["plan", "edit", plan_id, "1", "1000000", "--as", "planner"])
    assert edited.exit_code == 0, edited.output
    assert "warning" in edited.output and "free" in edited.output


def test_plan_lines_are_readable_at_80_columns_with_their_reasons(drafted):
    import io

    from rich.console import Console

    from storenet.cli_plan import render_lines
    from storenet.planning.documents import read_lines

    engine, plan_id = drafted
    with engine.connect() as conn:
        lines = read_lines(conn, plan_id, limit=50)
    cut = [line for line in lines if line["cut_reason"]]
    screen = io.StringIO()
    render_lines(Console(file=screen, width=80), lines)
    shown = screen.getvalue().splitlines()
    assert max(len(row) for row in shown) <= 80
    assert "…" not in screen.getvalue()  # nothing cut off
    # one row per line, each with its line number, route and SKU whole
    for line in lines:
        assert any(
            row.split()[:3]
            == [str(line["line_no"]), f"{line['source_id']}>{line['store_id']}", line["sku_id"]]
            for row in shown
        )
    if cut:
        assert "cut" in screen.getvalue()


def test_plan_show_latest_json_prints_the_summary_figures_of_the_newest_plan(drafted):
    engine, plan_id = drafted
    result = CliRunner().invoke(app, ["plan", "show", "latest", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["id"] == plan_id and shown["status"] == "draft"
    summary = shown["summary"]
    assert summary["units_requested"] >= summary["units_allocated"] > 0
    with engine.connect() as conn:
        header = conn.execute(select(plans.c.summary).where(plans.c.id == plan_id)).scalar()
    assert summary == json.loads(header)


def test_plan_show_latest_without_any_plan_says_so(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("STORENET_HOME", str(tmp_path))
    monkeypatch.setenv("STORENET_DB", engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(app, ["plan", "show", "latest", "--json"])
    assert result.exit_code == 2 and "latest" in result.output
