import numpy as np
import pytest
from scipy.optimize import linprog

from storenet.planning.distribution import nb_prob_at_least
from storenet.planning.rebalance import (
    Moves,
    RebalanceCosts,
    apply_transfer_limits,
    plan_moves,
)


def lp_optimum(give, take, on_hand, position, r, p, margin, unit_cost):
    """Exact LP over unit variables: fraction of each giving / taking unit moved."""
    c, balance = [], []
    for i in range(len(give)):
        for k in range(1, give[i] + 1):
            c.append(float(nb_prob_at_least(r[i], p[i], on_hand[i] - k + 1)) * margin[i])
            balance.append(1.0)
    for j in range(len(take)):
        for k in range(1, take[j] + 1):
            gain = float(nb_prob_at_least(r[j], p[j], position[j] + k)) * margin[j]
            c.append(unit_cost - gain)
            balance.append(-1.0)
    if not c:
        return 0.0
    result = linprog(c, A_eq=[balance], b_eq=[0.0], bounds=(0, 1), method="highs")
    return -result.fun


@pytest.mark.parametrize("seed", range(40))
def test_moves_reach_the_lp_optimum(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 8))
    giver = rng.random(n) < 0.5
    give = np.where(giver, rng.integers(0, 6, n), 0)
    take = np.where(giver, 0, rng.integers(0, 6, n))
    on_hand = rng.integers(0, 6, n) + give
    r, p = rng.gamma(2.0, 1.0, n) + 0.2, rng.uniform(0.2, 0.9, n)
    margin = rng.uniform(5, 40, n)
    costs = RebalanceCosts(unit_cost=3.0)
    moves = plan_moves(np.zeros(n, int), give, take, on_hand, on_hand, r, p, margin, costs)
    assert moves.value.sum() == pytest.approx(
        lp_optimum(give, take, on_hand, on_hand, r, p, margin, 3.0), abs=1e-6
    )
    sent = np.bincount(moves.from_pair, moves.units, n)
    got = np.bincount(moves.to_pair, moves.units, n)
    assert np.all(sent <= give) and np.all(got <= take)


def test_moves_never_cross_groups():
    r, p = np.full(4, 2.0), np.full(4, 0.3)
    moves = plan_moves(
        np.array([0, 0, 1, 1]),
        np.array([5, 0, 0, 0]),
        np.array([0, 0, 0, 5]),
        np.array([9, 0, 0, 0]),
        np.array([9, 0, 0, 0]),
        r,
        p,
        np.full(4, 50.0),
        RebalanceCosts(unit_cost=0.0),
    )
    assert len(moves) == 0


def test_a_unit_is_not_moved_when_the_trip_costs_more_than_it_gains():
    moves = plan_moves(
        np.zeros(2, int),
        np.array([3, 0]),
        np.array([0, 3]),
        np.array([10, 0]),
        np.array([10, 0]),
        np.full(2, 2.0),
        np.full(2, 0.5),
        np.full(2, 1.0),
        RebalanceCosts(unit_cost=5.0),
    )
    assert len(moves) == 0


def test_transfer_cap_and_fixed_cost_are_applied_per_store():
    # Store 0 could send to four stores; the cap keeps its three best transfers.
    moves = Moves(
        np.array([0, 0, 0, 0, 0]),
        np.array([1, 2, 3, 4, 5]),
        np.ones(5, np.int64),
        np.array([100.0, 90.0, 80.0, 70.0, 10.0]),
    )
    pair_store = np.arange(6)
    kept, numbers = apply_transfer_limits(
        moves, pair_store, RebalanceCosts(transfer_cost=50.0, max_transfers=3)
    )
    assert kept.to_pair.tolist() == [1, 2, 3]
    assert len(set(numbers.tolist())) == 3
