"""Running the real service on a free loopback port, in a thread, for HTTP tests."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from sqlalchemy import Engine

from storenet.serve.app import create_app
from storenet.settings import Settings

TEST_SECRET = "test-secret-" + "x" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def engine_url(engine: Engine) -> str:
    """The URL the service should open for the same database as `engine`."""
    return engine.url.render_as_string(hide_password=False)


def test_settings(engine: Engine, home, **overrides) -> Settings:  # type: ignore[no-untyped-def]
    """Settings for a test service on `engine`'s database (no environment read)."""
    values = {
        "env": "test",
        "secret_key": TEST_SECRET,
        "db_url": engine_url(engine),
        "home": home,
        "pos_lines_per_s": 1_000_000,
        "pos_burst_lines": 1_000_000,
        **overrides,
    }
    return Settings(**values)


test_settings.__test__ = False  # not a test, despite its name


class ServerThread:
    """uvicorn serving the storenet app in a daemon thread until `stop`."""

    def __init__(self, settings: Settings) -> None:
        # The socket is bound here and handed to uvicorn: no other process (a parallel
        # test worker) can take the port between choosing it and serving on it.
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.socket.close()
