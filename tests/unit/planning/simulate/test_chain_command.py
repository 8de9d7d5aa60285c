import json

import pytest

from storenet.datagen.build import NetworkSpec, generate


def test_simulate_chain_writes_kpis_and_a_chart_of_stock_by_echelon(tmp_path):
    pytest.importorskip("matplotlib")
    import typer
    from typer.testing import CliRunner

    from storenet.cli_simulate import register

    folder = tmp_path / "net"
    generate(NetworkSpec(stores=12, skus=20, days=120, seed=4), folder)
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    out = tmp_path / "out"
    args = ["simulate", "--network", str(folder), "--days", "35", "--out", str(out), "--chain"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "chain.json").read_text())
    assert [r["policy"] for r in report["runs"]] == ["storenet", "minmax", "storenet_stores"]
    assert "supplier lead means" in report["suppliers"]
    for run in report["runs"]:
        assert 0 < run["store_fill"] <= 1 and run["network_inventory_days"] > 0
    for name in ("storenet", "minmax", "storenet_stores"):
        assert (out / f"echelons_{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
