import numpy as np
import polars as pl
import pytest

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


def test_with_pairs_keeps_stores_and_skus_and_only_the_given_pairs_in_order():
    network = small_network()
    pairs = np.array([1, 4, 9])
    sub = network.with_pairs(pairs)
    assert sub.n_pairs == 3 and sub.n_stores == network.n_stores
    assert sub.pair_store.tolist() == network.pair_store[pairs].tolist()
    assert sub.pair_sku.tolist() == network.pair_sku[pairs].tolist()
    assert np.array_equal(
        sub.active(np.datetime64("2025-06-01")), network.active(np.datetime64("2025-06-01"))[pairs]
    )
    with pytest.raises(ValueError, match="sorted"):
        network.with_pairs(np.array([4, 1]))
