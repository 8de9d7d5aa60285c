"""The one settings object, read from the environment when asked for, never at import time.

`STORENET_HOME` is the folder for everything embedded (SQLite file, Parquet history);
`STORENET_DB` overrides the database URL, e.g. ``postgresql+psycopg://user@host/db``;
`STORENET_MARKET_TZ` is the time zone whose calendar days the business closes
(default Asia/Shanghai).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    db_url: str
    market_tz: str = "Asia/Shanghai"

    @property
    def history_dir(self) -> Path:
        """Where daily sales history lives as Parquet, partitioned by month."""
        return self.home / "history"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read settings from `environ` (default: the process environment).

        Guarantees an absolute `home`; the SQLite default lives inside it.
        """
        env = os.environ if environ is None else environ
        home = Path(env.get("STORENET_HOME", "var")).resolve()
        db_url = env.get("STORENET_DB") or f"sqlite:///{home / 'storenet.db'}"
        market_tz = env.get("STORENET_MARKET_TZ", "Asia/Shanghai")
        return cls(home=home, db_url=db_url, market_tz=market_tz)
