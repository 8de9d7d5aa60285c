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
    # The generated network has its own suppliers, lanes and warehouse parents.
    assert report["suppliers"].startswith("the network's own")
    for run in report["runs"]:
        assert 0 < run["store_fill"] <= 1 and run["network_inventory_days"] > 0
    for name in ("storenet", "minmax", "storenet_stores"):
        assert (out / f"echelons_{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_network_without_supplier_files_falls_back_to_no_master_chain(tmp_path):
    import numpy as np

    from storenet.planning.simulate.chain_inputs import master_chain

    from .conftest import tiny_chain

    chain = tiny_chain(days=14)
    assert master_chain(chain.sim, tmp_path) is None
    assert np.all(chain.tree.sku_supplier >= 0)  # the synthetic tree buys every SKU
