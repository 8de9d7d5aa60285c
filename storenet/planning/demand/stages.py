"""The life cycle of a SKU as the demand model sees it: which stage it is in on a day.

A SKU sells differently in its first two weeks, its first two months, its mature life,
after its successor launched and after its end of life; the model learns one factor
per category and stage (`storenet.planning.demand.exposure.stage_factors`).
"""

from __future__ import annotations

import numpy as np

from storenet.planning.network import PlanningNetwork

STAGES = ("launch", "early", "mature", "succeeded", "ended")
"""Life-cycle stages: first 14 days on sale, days 14-59, mature, after the successor
launched, after end of life (what is left in stores still sells)."""
LAUNCH_DAYS = 14
EARLY_DAYS = 60


def sku_stage(network: PlanningNetwork, day: np.datetime64) -> np.ndarray:
    """Life-cycle stage of every SKU on `day` (int8 index into STAGES)."""
    day = np.datetime64(day, "D")
    age = (day - network.sku_launch).astype(np.int64)
    stage = np.full(network.n_skus, STAGES.index("mature"), dtype=np.int8)
    stage[age < EARLY_DAYS] = STAGES.index("early")
    stage[age < LAUNCH_DAYS] = STAGES.index("launch")
    successor_launch = np.full(network.n_skus, np.datetime64("NaT", "D"))
    has_pred = network.sku_predecessor >= 0
    successor_launch[network.sku_predecessor[has_pred]] = network.sku_launch[has_pred]
    stage[successor_launch <= day] = STAGES.index("succeeded")
    stage[network.sku_eol < day] = STAGES.index("ended")
    return stage
