import numpy as np
import pytest

from storenet.planning.distribution import nb_params, nb_quantile
from storenet.planning.targets import order_quantity, order_up_to, service_levels


def test_target_is_quantile_between_display_min_and_capacity():
    r, p = nb_params(np.full(4, 2.0), np.full(4, 1.0), np.full(4, 5.0))
    q = nb_quantile(r, p, 0.9)[0]
    target = order_up_to(
        r, p, np.full(4, 0.9), np.array([0, q + 3, 0, 0]), np.array([0, 0, q - 2, q + 10])
    )
    assert target.tolist() == [q, q + 3, q - 2, q]


def test_higher_service_level_never_lowers_target():
    r, p = nb_params(np.full(50, 1.3), np.full(50, 0.7), np.linspace(0, 30, 50))
    zero = np.zeros(50, np.int64)
    low = order_up_to(r, p, np.full(50, 0.8), zero, zero)
    high = order_up_to(r, p, np.full(50, 0.97), zero, zero)
    assert np.all(high >= low)


def test_order_rounds_up_to_whole_packs():
    order = order_quantity(
        np.array([10, 10, 10, 3]), np.array([3, 10, 12, 0]), np.array([4, 4, 1, 1]), np.zeros(4)
    )
    assert order.tolist() == [8, 0, 0, 3]


def test_order_rounds_down_a_pack_rather_than_overfill_capacity():
    order = order_quantity(np.array([10]), np.array([3]), np.array([4]), np.array([10]))
    assert order.tolist() == [4]


def test_service_level_outside_unit_interval_is_refused_naming_category():
    with pytest.raises(ValueError, match="'phone'"):
        service_levels(["phone"], {"phone": 1.0})
