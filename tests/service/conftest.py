"""Fixtures for the HTTP service tests: a small factory, a workspace, and a test client on
an application built by the same factory `factory-twin serve` uses."""
from __future__ import annotations

from pathlib import Path

import pytest
from service_fixtures import as_yaml, line_layout_data


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore:.*httpx2.*")  # starlette's test-client notice


@pytest.fixture
def line_yaml() -> str:
    return as_yaml(line_layout_data())


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "workspace"


@pytest.fixture
def make_client(workspace: Path):
    """A function that starts a test client on a fresh application; all are closed after."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import ServiceSettings

    clients = []

    def make(**settings) -> TestClient:
        client = TestClient(create_app(ServiceSettings(workspace=settings.pop("workspace", workspace), **settings)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()
