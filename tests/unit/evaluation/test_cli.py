"""`storenet evaluate` on a tiny long table, through a Typer app of its own."""

import polars as pl
import typer
from typer.testing import CliRunner

from storenet import cli_evaluate
from tests.unit.evaluation.conftest import synthetic_panel


def test_evaluate_prints_scores_and_writes_the_report(tmp_path):
    # given: a long sales table of the synthetic panel
    panel = synthetic_panel(n_days=120)
    rows = [
        {"store": s["store"], "sku": s["sku"], "date": str(d), "quantity": panel.units[i, j]}
        for i, s in enumerate(panel.series.iter_rows(named=True))
        for j, d in enumerate(panel.days)
    ]
    pl.DataFrame(rows).write_csv(tmp_path / "sales.csv")
    app = typer.Typer()
    cli_evaluate.register(app)
    app.command("noop")(lambda: None)  # two commands keep `evaluate` a sub-command
    # when
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--data", str(tmp_path / "sales.csv"),
            "--cutoffs", str(panel.days[70]) + "," + str(panel.days[84]),
            "--horizon", "28",
            "--models", "snaive,storenet",
            "--report", str(tmp_path / "report"),
        ],
    )  # fmt: skip
    # then
    assert result.exit_code == 0, result.output
    assert "storenet" in result.output
    assert (tmp_path / "report" / "report.html").exists()


def test_an_unknown_model_is_refused_with_the_choices(tmp_path):
    app = typer.Typer()
    cli_evaluate.register(app)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(
        app, ["evaluate", "--data", str(tmp_path / "x.csv"), "--models", "prophet"]
    )
    assert result.exit_code == 2
    assert "prophet" in result.output


def _long_table(path, n_days):
    panel = synthetic_panel(n_days=n_days)
    rows = [
        {"store": s["store"], "sku": s["sku"], "date": str(d), "quantity": panel.units[i, j]}
        for i, s in enumerate(panel.series.iter_rows(named=True))
        for j, d in enumerate(panel.days)
    ]
    pl.DataFrame(rows).write_csv(path)
    return panel


def _app():
    app = typer.Typer()
    cli_evaluate.register(app)
    app.command("noop")(lambda: None)
    return app


def test_evaluate_protocol_reports_selection_and_report_sets_and_names_both(tmp_path):
    import json

    _long_table(tmp_path / "sales.csv", 900)
    result = CliRunner().invoke(
        _app(),
        [
            "evaluate", "--data", str(tmp_path / "sales.csv"), "--protocol",
            "--horizon", "7", "--min-history", "60", "--models", "snaive",
            "--report", str(tmp_path / "report"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "selection set" in result.output and "report set" in result.output
    split = json.loads((tmp_path / "report" / "split.json").read_text())
    assert split["selection"]["stores"] == ["A_1"] and split["report"]["stores"] == ["B_1"]
    assert len(split["report"]["cutoffs"]) >= 8
    assert not set(split["selection"]["cutoffs"]) & set(split["report"]["cutoffs"])
    for part in ("selection", "report"):
        assert (tmp_path / "report" / part / "report.html").exists()


def test_evaluate_protocol_on_too_short_a_history_is_refused_naming_the_rule(tmp_path):
    _long_table(tmp_path / "sales.csv", 200)
    result = CliRunner().invoke(
        _app(),
        ["evaluate", "--data", str(tmp_path / "sales.csv"), "--protocol", "--models", "snaive"],
    )
    assert result.exit_code == 2
    assert "cut-offs" in result.output and "do not fit" in result.output


def test_evaluate_protocol_can_run_the_selection_set_alone_so_the_report_stays_unseen(tmp_path):
    _long_table(tmp_path / "sales.csv", 900)
    result = CliRunner().invoke(
        _app(),
        [
            "evaluate", "--data", str(tmp_path / "sales.csv"), "--protocol", "--only",
            "selection", "--horizon", "7", "--min-history", "60", "--models", "snaive",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "selection set" in result.output and "report set" not in result.output
