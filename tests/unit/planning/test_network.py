import numpy as np
import polars as pl

from .conftest import small_network


def test_pair_of_ids_finds_listed_pairs_and_marks_unknown_ids():
    network = small_network()
    stores = pl.Series(["S1", "S1", "S9", "S2", None])
    skus = pl.Series(["K2", "NOPE", "K0", "K0", "K1"])
    pair = network.pair_of_ids(stores, skus)
    assert pair[0] == network.pair_index(np.array([1]), np.array([2]))[0] >= 0
    # An unknown SKU must not alias a neighbouring pair.
    assert pair[1:3].tolist() == [-1, -1]
    assert network.pair_store[pair[3]] == 2 and network.pair_sku[pair[3]] == 0
    assert pair[4] == -1
