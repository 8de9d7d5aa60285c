"""Level correction: the gbm's split within a group, storenet's group total."""

import numpy as np
import pytest

from storenet.planning.gbm.level import group_codes, match_group_sums


def test_group_sums_become_the_targets_and_shares_within_a_group_are_kept():
    rng = np.random.default_rng(0)
    values = rng.gamma(1.0, 2.0, size=(6, 5))
    target = rng.gamma(1.0, 3.0, size=(6, 5))
    groups = np.array([0, 0, 1, 1, 1, 2])
    out = match_group_sums(values, target, groups)
    for g in range(3):
        rows = groups == g
        # Column by column (store x day), the group's sum is the target's.
        np.testing.assert_allclose(out[rows].sum(0), target[rows].sum(0))
        # Within the group, the series keep their shares of the values.
        np.testing.assert_allclose(out[rows] / out[rows].sum(0), values[rows] / values[rows].sum(0))
    assert not np.shares_memory(out, values)


def test_one_dimensional_sums_and_a_group_without_shares_takes_the_target():
    values = np.array([1.0, 3.0, 0.0, 0.0, 2.0])
    target = np.array([2.0, 2.0, 1.5, 0.5, 7.0])
    out = match_group_sums(values, target, np.array([0, 0, 1, 1, 2]))
    np.testing.assert_allclose(out, [1.0, 3.0, 1.5, 0.5, 7.0])


def test_shapes_must_agree_and_group_codes_are_dense_per_combination():
    with pytest.raises(ValueError, match="shape"):
        match_group_sums(np.ones((3, 2)), np.ones(3), np.zeros(3, int))
    codes = group_codes(np.array([5.0, 5.0, 7.0, 7.0]), np.array([1.0, 2.0, 1.0, 1.0]))
    assert codes.tolist() == [0, 1, 2, 2]
