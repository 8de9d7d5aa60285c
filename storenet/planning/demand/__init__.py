"""The demand model: a gamma-Poisson rate per pair, shrunk toward hierarchical priors,
updated one day at a time.

Model. Units demanded by pair p on day t are Poisson with mean rate[p] * m[p, t]:

- `rate[p]` is the pair's demand on an ordinary day of its SKU's mature life stage;
- `m[p, t]` (the exposure) = weekday profile[category, weekday] x calendar events
  (`storenet.calendar`) x yearly season[category, t] (`storenet.planning.season`) x
  life-cycle stage factor[category, stage(SKU, t)], and 0 when the pair is not active
  (store closed, not listed, SKU not launched).

Each pair keeps discounted sufficient statistics of its units and exposure, updated
nightly in O(pairs), so the cost of a night does not grow with the length of history.
The posterior of a pair's rate is gamma(kappa * prior[p] + A[p], kappa + B[p]): the
pair's own history against `kappa` days of a prior built from the levels above it
(format, region, SKU, store), which also serves a store or SKU that has no history
yet. On top of the rate, demand has its own day-to-day over-dispersion per category,
so the predictive distribution over any horizon is negative binomial
(`storenet.planning.distribution`).

The modules, in the order a night and a forecast use them:

- `memory`: the settings and what the model remembers (`DemandState`), saved between
  nights; `empty_state` is the cold start.
- `stages`: each SKU's life-cycle stage on a day (launch, early, mature, ...).
- `exposure`: m[p, t], the pieces a day's expected demand is made of besides the rate.
- `horizon`: the exposure summed over each pair's replenishment window, vectorised.
- `priors`: the hierarchical prior of every pair, and the donors of cold SKUs.
- `posterior`: the predictive gamma of every pair's rate (long and short memory,
  dispersion).
- `update`: one day's sales (`DaySales`) learned into the state (`update_day`, `fit`).
- `ratios`: the guarded division they share.
"""
