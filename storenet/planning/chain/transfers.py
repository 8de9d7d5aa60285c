"""The plan's warehouse-transfer lines (step 3 of `plan`), and what every upstream
line shares: its kinds, cut reasons and the NB of its echelon's demand.

Three passes over [warehouses, SKUs], each a water-filling or a pairing:

1. the echelon's shortfalls: a node fed by its parent asks target - position, the
   parent shares what it holds now (after its own stores' lines) among its children
   by water-filling on the children's echelon demand (`sharing.share_scarce`);
2. the push: a parent above its echelon target pushes its free surplus to children
   whose local stock runs out before their refill lands (`push`);
3. lending: a child still short while its parent has none left borrows from siblings
   with spare stock (`push.local_spare`, `push.match_lenders`).
"""

from __future__ import annotations

import numpy as np

from storenet.planning.chain import orders, push
from storenet.planning.chain.echelon import nb_from_moments
from storenet.planning.chain.levels import EchelonFigures
from storenet.planning.chain.sharing import share_scarce

PURCHASE, TRANSFER = 0, 1
CUT_NONE, CUT_SCARCE, CUT_CAPACITY = 0, 1, 2
KINDS = ("purchase", "transfer")
CUT_REASONS = ("", "scarce upstream stock", "supplier capacity")


def echelon_nb(figures: EchelonFigures, w: np.ndarray, k: np.ndarray) -> tuple:
    """NB (r, p) of the echelon demand at lines (w, k), and their positions net of
    the lifts below (what the quantile part of the target compares with)."""
    r, p = nb_from_moments(figures.demand_mean[w, k], figures.demand_var[w, k])
    lift = figures.target[w, k] - figures.quantile[w, k]
    return r, p, figures.position[w, k] - lift


def transfer_lines(
    figures: EchelonFigures, parent_free: np.ndarray, asked: np.ndarray, given: np.ndarray
) -> tuple[dict, dict]:
    """Transfer lines: parents share what they hold now among their children (the
    echelon's shortfalls first), then a long parent pushes its surplus to children
    whose local stock runs out before their refill (`push`), and a child still short
    while its parent has none left borrows from siblings with spare stock (`push`).
    `parent_free` is each node's free stock after its own stores' lines; `asked`,
    `given` the store units asked and allocated tonight per node ([warehouses,
    SKUs]). Returns (the lines from parents, the lines between siblings)."""
    n_w, n_k = figures.source.shape
    short = figures.target - figures.position
    fed = figures.source >= 0
    parent_of = np.maximum(figures.source, 0).astype(np.int64)
    w, k = np.nonzero(fed & (short > 0))
    r, p, net = echelon_nb(figures, w, k)
    supply = np.maximum(parent_free, 0).reshape(-1)
    alloc = share_scarce(parent_of[w, k] * n_k + k, supply, short[w, k], net, r, p)
    sent = np.zeros((n_w, n_k), np.int64)
    sent[w, k] = alloc.units
    cut = np.zeros((n_w, n_k), bool)
    cut[w, k] = alloc.units < short[w, k]
    level = np.ones((n_w, n_k))
    level[w, k] = alloc.level[parent_of[w, k] * n_k + k]

    # The push: a parent's surplus over its echelon target, from what it has left.
    columns = np.arange(n_k)[None, :]
    out = np.bincount((parent_of * n_k + columns)[fed], sent[fed], n_w * n_k)
    left = supply - out.astype(np.int64)
    keep = (figures.daily * figures.leg_days).reshape(-1)
    surplus = push.parent_surplus(
        left, figures.position.reshape(-1), figures.target.reshape(-1), keep
    )
    extra = push.local_shortfall(
        asked, given, figures.free, figures.in_transit, sent, figures.leg_days, figures.daily
    )
    pw, pk = np.nonzero(fed & (extra > 0) & (surplus[parent_of * n_k + columns] > 0))
    pushed = np.zeros((n_w, n_k), np.int64)
    if pw.size:
        pr, pp, pnet = echelon_nb(figures, pw, pk)
        group = parent_of[pw, pk] * n_k + pk
        pushed[pw, pk] = share_scarce(
            group, surplus, extra[pw, pk], pnet + sent[pw, pk], pr, pp
        ).units

    # Lending: a child still short while its parent has none of the SKU left tonight
    # borrows from siblings holding more than their own need.
    shipped = np.bincount((parent_of * n_k + columns)[fed], (sent + pushed)[fed], n_w * n_k)
    dry = (supply - shipped) <= 0
    received = sent + pushed
    still = push.local_shortfall(
        asked, given, figures.free, figures.in_transit, received, figures.leg_days, figures.daily
    )
    spare = push.local_spare(
        asked,
        given,
        figures.free,
        figures.in_transit,
        received,
        shipped.reshape(n_w, n_k),
        figures.leg_days,
        figures.daily,
    )
    group = parent_of * n_k + columns
    bw, bk = np.nonzero(fed & (still > 0) & dry[group])
    sw, sk = np.nonzero(fed & (spare > 0) & dry[group])
    b, s, units = push.match_lenders(group[bw, bk], still[bw, bk], group[sw, sk], spare[sw, sk])
    lent = dict(
        kind=np.full(units.size, TRANSFER, np.int8),
        source=sw[s].astype(np.int32),
        destination=bw[b].astype(np.int32),
        sku=bk[b].astype(np.int32),
        qty=units,
        requested=still[bw[b], bk[b]],
        cut_reason=np.zeros(units.size, np.int8),
        water_level=np.ones(units.size),
        note=np.full(units.size, orders.NOTE_LENT, np.int8),
        figures=(figures, bw[b], bk[b]),
    )

    lw, lk = np.nonzero(fed & ((short > 0) | (pushed > 0)))
    request = np.maximum(short[lw, lk], 0) + np.where(pushed[lw, lk] > 0, extra[lw, lk], 0)
    note = np.where(
        cut[lw, lk],
        orders.NOTE_SCARCE,
        np.where(pushed[lw, lk] > 0, orders.NOTE_PUSHED, orders.NOTE_NONE),
    )
    return dict(
        kind=np.full(lw.size, TRANSFER, np.int8),
        source=parent_of[lw, lk].astype(np.int32),
        destination=lw.astype(np.int32),
        sku=lk.astype(np.int32),
        qty=sent[lw, lk] + pushed[lw, lk],
        requested=request,
        cut_reason=np.where(cut[lw, lk], CUT_SCARCE, CUT_NONE).astype(np.int8),
        water_level=level[lw, lk],
        note=note.astype(np.int8),
        figures=(figures, lw, lk),
    ), lent
