"""The plan's trained gbm model on disk and when to train it again.

`PlanGbmSettings` (sample, cadence, windows, the model's settings), the trained
`GbmModel` (booster text, features, horizon, dispersion bands, the last history day it
saw, a signature of what it was trained under), saved in one file written atomically,
and `retrain_reason`, why a saved model cannot serve tonight's plan.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from storenet.planning.gbm.features import FEATURES
from storenet.planning.gbm.settings import GbmSettings

SHORT_DAYS = 91  # dense days `features` reads: mean_91 and 12 same weekdays (83 days)
FORMAT = 1  # version of the saved file


def _plan_gbm() -> GbmSettings:
    return GbmSettings(drop=("item", "store"))


@dataclass(frozen=True)
class PlanGbmSettings:
    """`sample_pairs`: most pairs trained on (whole stores, seeded by `seed`);
    `retrain_days`: age in days of history at which the saved model is retrained;
    `window_days`: history days the long features look back (>= 91); `chunk_pairs`:
    most pairs forecast at once (a larger store is forecast alone); `model`: the
    evaluation's settings (LightGBM, origins, blend; one Tweedie booster, so `stack`,
    `offset`, several seeds or objectives, extra features and a fitted blend are
    refused)."""

    sample_pairs: int = 20_000
    retrain_days: int = 7
    window_days: int = 364
    chunk_pairs: int = 50_000
    seed: int = 1
    model: GbmSettings = field(default_factory=_plan_gbm)

    def __post_init__(self) -> None:
        if self.window_days < SHORT_DAYS:
            raise ValueError(f"window_days must be at least {SHORT_DAYS}")
        if self.sample_pairs < 1 or self.chunk_pairs < 1 or self.retrain_days < 1:
            raise ValueError("sample_pairs, chunk_pairs and retrain_days must be positive")
        # The plan trains one Tweedie booster on the base features and blends with a
        # fixed share; the evaluation's other variants are refused, not ignored.
        m = self.model
        unsupported = [
            name
            for name, value, plain in (
                ("stack", m.stack, False),
                ("offset", m.offset, False),
                ("seeds", m.seeds, 1),
                ("objectives", tuple(m.objectives), ("tweedie",)),
                ("extra", tuple(m.extra), ()),
                ("blend_fit", m.blend_fit, False),
            )
            if value != plain
        ]
        if unsupported:
            raise ValueError(f"the plan's gbm does not support {', '.join(unsupported)}")


@dataclass(frozen=True)
class GbmModel:
    """A trained plan model: the LightGBM booster as text, the names of its
    features, the horizon (days) it forecasts, the dispersion bands of the horizon
    sum (`edges` on the blended mean, NB `alpha` per band), the last history day it
    saw, the settings signature it was trained under, pairs and rows trained on, and
    the training wall time (s)."""

    booster_text: str
    features: tuple[str, ...]
    horizon: int
    edges: np.ndarray
    alpha: np.ndarray
    trained_through: date
    signature: str
    sample_pairs: int
    rows: int
    train_seconds: float

    def booster(self):  # -> lightgbm.Booster
        """The booster, parsed from its text."""
        import lightgbm as lgb

        return lgb.Booster(model_str=self.booster_text)


def model_path(home: Path) -> Path:
    """Where the plan's gbm model is kept."""
    return Path(home) / "planning" / "gbm" / "model.json"


def feature_names(settings: PlanGbmSettings) -> tuple[str, ...]:
    """The features the model is trained on, in column order."""
    return tuple(f for f in FEATURES if f not in settings.model.drop)


def signature(settings: PlanGbmSettings, horizon: int) -> str:
    """A text that changes whenever a saved model stops fitting tonight's features:
    feature names, horizon, windows, sample and the evaluation settings (chunking and
    cadence are left out: they do not change the model)."""
    return json.dumps(
        {
            "format": FORMAT,
            "features": feature_names(settings),
            "horizon": int(horizon),
            "short_days": SHORT_DAYS,
            "window_days": settings.window_days,
            "sample_pairs": settings.sample_pairs,
            "seed": settings.seed,
            "model": repr(settings.model),
        },
        sort_keys=True,
    )


def save_model(path: Path, model: GbmModel) -> None:
    """Write `model` to `path` atomically: a temporary file in the same folder,
    flushed, then renamed over the old one (a crash leaves the old model or none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "format": FORMAT,
        "features": list(model.features),
        "horizon": model.horizon,
        "edges": model.edges.tolist(),
        "alpha": model.alpha.tolist(),
        "trained_through": model.trained_through.isoformat(),
        "signature": model.signature,
        "sample_pairs": model.sample_pairs,
        "rows": model.rows,
        "train_seconds": model.train_seconds,
        "booster": model.booster_text,
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".model-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(body, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_model(path: Path) -> GbmModel | None:
    """The model saved at `path`, or None when there is none or it cannot be read
    (another format, a damaged file): the caller then trains a new one."""
    try:
        body = json.loads(Path(path).read_text())
        if body.get("format") != FORMAT:
            return None
        return GbmModel(
            booster_text=body["booster"],
            features=tuple(body["features"]),
            horizon=int(body["horizon"]),
            edges=np.asarray(body["edges"], np.float64),
            alpha=np.asarray(body["alpha"], np.float64),
            trained_through=date.fromisoformat(body["trained_through"]),
            signature=body["signature"],
            sample_pairs=int(body["sample_pairs"]),
            rows=int(body["rows"]),
            train_seconds=float(body["train_seconds"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def retrain_reason(
    model: GbmModel | None, through: date, settings: PlanGbmSettings, horizon: int
) -> str:
    """Why the saved `model` cannot serve a plan whose last history day is `through`
    ('' when it can): missing, trained past `through`, `retrain_days` old or more, or
    another signature."""
    if model is None:
        return "no saved model"
    if model.trained_through > through:
        return f"trained through {model.trained_through}, after {through}"
    age = (through - model.trained_through).days
    if age >= settings.retrain_days:
        return f"{age} days old (retrain every {settings.retrain_days})"
    if model.signature != signature(settings, horizon):
        return "features or settings changed"
    return ""
