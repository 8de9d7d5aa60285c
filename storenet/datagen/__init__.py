"""Synthetic networks: stores, catalog, assortment, suppliers and lanes, daily sales
history with its purchase orders, opening stock.

`generate(NetworkSpec(stores=..., skus=..., days=..., seed=...), out_dir)` writes the
master files and the history in the formats of docs/data-formats.md; see `build`.
"""

from storenet.datagen.build import GeneratedNetwork, NetworkSpec, generate

__all__ = ["GeneratedNetwork", "NetworkSpec", "generate"]
