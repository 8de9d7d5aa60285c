"""The evaluation's storenet model (`storenet.evaluation.models`) on a panel."""

import numpy as np

from storenet.evaluation import models
from storenet.planning.demand.posterior import posterior


def test_a_state_posterior_carries_its_parts(panel, calendar):
    network, _, state = models.fit_storenet(panel, calendar)
    post = posterior(state, network)
    np.testing.assert_allclose(1 / post.shape, 1 / post.param_shape + 1 / post.phi)
