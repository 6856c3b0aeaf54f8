"""A playground server on 127.0.0.1 and a free port, driven over HTTP with urllib."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from deltaprop.playground import PlaygroundServer, Session


class Client:
    """Requests to one server: JSON in and out, the status kept."""

    def __init__(self, server: PlaygroundServer) -> None:
        self.server = server
        self.base = server.url.rstrip("/")

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, object]:
        status, _, content = self.request("GET", path, headers=headers)
        return status, json.loads(content)

    def post(self, value: object, headers: dict[str, str] | None = None) -> tuple[int, object]:
        body = value if isinstance(value, bytes) else json.dumps(value).encode("utf-8")
        status, _, content = self.request("POST", "/api/control", body, {"Content-Type": "application/json", **(headers or {})})
        return status, json.loads(content)

    def state(self) -> dict:
        status, value = self.get("/api/state")
        assert status == 200, value
        return value

    def control(self, **request: object) -> dict:
        status, value = self.post(request)
        assert status == 200, value
        return value


@pytest.fixture
def server() -> Iterator[PlaygroundServer]:
    srv = PlaygroundServer(Session(), "127.0.0.1", 0)
    srv.start()
    yield srv
    srv.close()


@pytest.fixture
def client(server: PlaygroundServer) -> Client:
    return Client(server)
