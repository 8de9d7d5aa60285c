"""The one settings object: the CLI's and the service's fields from one environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from storenet.settings import MAX_BODY_BYTES, Settings


def test_one_environment_gives_the_cli_and_the_service_the_same_place_and_database(tmp_path):
    settings = Settings.from_env(
        {
            "STORENET_HOME": str(tmp_path),
            "STORENET_MARKET_TZ": "Europe/Paris",
            "STORENET_PORT": "9000",
            "STORENET_ALLOWED_ORIGINS": '["https://shop.example"]',
        }
    )
    assert settings.home == tmp_path.resolve()
    assert settings.db_url == f"sqlite:///{tmp_path.resolve() / 'storenet.db'}"
    assert settings.history_dir == tmp_path.resolve() / "history"
    assert settings.market_tz == "Europe/Paris"
    assert settings.port == 9000
    assert settings.allowed_origins == ("https://shop.example",)
    assert settings.max_body_bytes == MAX_BODY_BYTES


def test_storenet_db_names_the_database_and_an_empty_variable_means_the_default(tmp_path):
    url = "postgresql+psycopg://someone@db.example/storenet"
    home = str(tmp_path)
    assert Settings.from_env({"STORENET_HOME": home, "STORENET_DB": url}).db_url == url
    empty = Settings.from_env({"STORENET_HOME": home, "STORENET_DB": ""})
    assert empty.db_url.startswith("sqlite:///")


def test_a_given_mapping_is_the_whole_environment(monkeypatch):
    monkeypatch.setenv("STORENET_MARKET_TZ", "Europe/Paris")
    assert Settings.from_env({}).market_tz == "Asia/Shanghai"
    assert Settings.from_env().market_tz == "Europe/Paris"


def test_a_bad_variable_is_refused_naming_its_field():
    with pytest.raises(ValidationError, match="port"):
        Settings.from_env({"STORENET_PORT": "0"})


def test_nothing_is_read_at_import():
    code = "import storenet.settings, storenet.serve.app; print('ok')"
    env = {"STORENET_ENV": "production", "STORENET_PORT": "not a port", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": str(Path(__file__).parents[2])},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.strip() == "ok", done.stderr
