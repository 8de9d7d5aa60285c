"""The service's one typed settings object, from the environment and a `.env` file.

Every variable is `STORENET_<FIELD>`; `STORENET_HOME`, `STORENET_DB` and
`STORENET_MARKET_TZ` mean what they mean for the CLI. Outside development
(`STORENET_ENV=production`) a missing, short or placeholder `STORENET_SECRET_KEY` is
refused at start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storenet.settings import Settings

PLACEHOLDERS = {"", "changethis", "change-me", "changeme", "secret", "development", "dev"}
DEV_SECRET = "changethis"


class ServiceSettings(BaseSettings):
    """Settings of `storenet serve`, validated when built."""

    model_config = SettingsConfigDict(env_prefix="STORENET_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    home: Path = Path("var")
    db: str | None = None
    market_tz: str = "Asia/Shanghai"
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
    allowed_origins: list[str] = []
    cookie_secure: bool = True

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> ServiceSettings:
        secret = self.secret_key.get_secret_value()
        if self.env != "development" and (secret.lower() in PLACEHOLDERS or len(secret) < 32):
            raise ValueError(
                "STORENET_SECRET_KEY must be set to a random value of 32+ characters outside "
                f"development (STORENET_ENV={self.env}); e.g. python -c "
                "'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return self

    @property
    def secret(self) -> str:
        """The secret key's value (token hashes are keyed with it)."""
        return self.secret_key.get_secret_value()

    def core(self) -> Settings:
        """The same place and database as the CLI's settings object."""
        home = self.home.resolve()
        return Settings(
            home=home,
            db_url=self.db or f"sqlite:///{home / 'storenet.db'}",
            market_tz=self.market_tz,
        )
