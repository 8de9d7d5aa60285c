"""The one settings object of storenet, for the CLI and the service alike, read from the
environment when asked for (`Settings.from_env`), never at import time.

Every variable is `STORENET_<FIELD>` (upper case), except the database URL,
`STORENET_DB`. `STORENET_HOME` is the folder for everything embedded (SQLite file,
Parquet history, simulation runs); `STORENET_DB` overrides the database URL, e.g.
``postgresql+psycopg://user@host/db``; `STORENET_MARKET_TZ` is the time zone whose
calendar days the business closes. The other fields are the service's (`storenet
serve`). Outside development (`STORENET_ENV=production`) a missing, short or
placeholder `STORENET_SECRET_KEY` is refused when the settings are built.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

PLACEHOLDERS = {"", "changethis", "change-me", "changeme", "secret", "development", "dev"}
DEV_SECRET = "changethis"
# Big enough for a POS batch of 10,000 lines with serials (about 2 MB as JSON).
MAX_BODY_BYTES = 16 * 1024 * 1024
# The variable of each field whose name is not STORENET_<FIELD>.
ENV_NAMES = {"db_url": "STORENET_DB"}


class Settings(BaseModel):
    """Where storenet keeps its data and how its service runs; validated when built.

    Built with values given here (tests, tools) or from the environment (`from_env`).
    Guarantees an absolute `home` and a database URL (SQLite inside `home` unless set).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    home: Path = Path("var")
    db_url: str = ""
    market_tz: str = "Asia/Shanghai"
    # The service (storenet serve).
    env: Literal["development", "test", "production"] = "development"
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    session_hours: float = Field(default=12, gt=0)
    # Per POS device, shared by every worker: a token bucket over sale lines.
    pos_lines_per_s: float = Field(default=2000, gt=0)
    pos_burst_lines: int = Field(default=20000, ge=1)
    pos_max_batch_lines: int = Field(default=10000, ge=1)
    login_free_failures: int = Field(default=5, ge=1)
    # Origins allowed to send cookie-authenticated writes besides the service's own.
    allowed_origins: tuple[str, ...] = ()
    cookie_secure: bool = True
    # Largest request body any route reads, in bytes; a larger one gets 413.
    max_body_bytes: int = Field(default=MAX_BODY_BYTES, ge=1024)

    @model_validator(mode="before")
    @classmethod
    def _place(cls, data: Any) -> Any:
        """An absolute home, and the SQLite file inside it when no database is named."""
        if not isinstance(data, dict):
            return data
        home = Path(data.get("home") or "var").resolve()
        db_url = data.get("db_url") or f"sqlite:///{home / 'storenet.db'}"
        return {**data, "home": home, "db_url": db_url}

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.env != "development" and (secret.lower() in PLACEHOLDERS or len(secret) < 32):
            raise ValueError(
                "STORENET_SECRET_KEY must be set to a random value of 32+ characters outside "
                f"development (STORENET_ENV={self.env}); e.g. python -c "
                "'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return self

    @property
    def history_dir(self) -> Path:
        """Where daily sales history lives as Parquet, partitioned by month."""
        return self.home / "history"

    @property
    def photos_dir(self) -> Path:
        """Where store standards photos kept before migration 0020 are, one file per
        content hash; newer photos are in the database (storenet.standards.photos)."""
        return self.home / "data" / "photos"

    @property
    def secret(self) -> str:
        """The secret key's value (token hashes are keyed with it)."""
        return self.secret_key.get_secret_value()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `environ`, or by default from the process environment over
        a `.env` file in the working directory. An empty variable means its default;
        `STORENET_ALLOWED_ORIGINS` is a JSON list. Raises pydantic's ValidationError
        naming the bad variable's field."""
        if environ is None:
            environ = {**dotenv_values(".env"), **os.environ}
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = environ.get(ENV_NAMES.get(name, f"STORENET_{name.upper()}"))
            if raw:
                values[name] = json.loads(raw) if name == "allowed_origins" else raw
        return cls(**values)
