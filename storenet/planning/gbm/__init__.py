"""The global LightGBM demand model: one model across all series, full distributions.

It lives in planning, where the plan uses it (`storenet plan --model gbm`,
`storenet.planning.gbm_demand`); the evaluation's `gbm` model
(`storenet.evaluation.gbm`) only builds these inputs from a sales panel and scores.
Planning never imports the evaluation (an import contract in pyproject.toml).

- `panel`: the inputs, plain arrays: daily units per series with their store,
  department, SKU and region codes (`SeriesPanel`) and the event days (`DayEvents`).
- `features`: the feature rows of a forecast origin (no day after it is read).
- `settings`: `GbmSettings` and LightGBM's parameters.
- `storenet_mean`: storenet's own forecast replayed at past origins (for the blend).
- `model`: training, the forecast, its negative-binomial dispersion and quantiles.
"""
