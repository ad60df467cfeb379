"""Fixtures shared by the whole suite. Factories live beside each app's tests."""

import json
from pathlib import Path

import pytest
from django.test import Client

# The SQLite test database is a file under var/ (see settings/test.py).
Path("var").mkdir(exist_ok=True)


class ApiClient:
    """A JSON client for /api/v1 that authenticates with a bearer token (or none)."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, data=None, **params):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        kwargs = {"headers": self.headers}
        if data is not None:
            kwargs.update(data=json.dumps(data), content_type="application/json")
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str, **params):
        return self._call("get", path, **params)

    def post(self, path: str, data: dict):
        return self._call("post", path, data)

    def patch(self, path: str, data: dict):
        return self._call("patch", path, data)

    def put(self, path: str, data: dict):
        return self._call("put", path, data)

    def delete(self, path: str):
        return self._call("delete", path)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with empty rate-limit counters (the cache is process memory)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_as():
    """api_as(user) → an ApiClient holding a fresh token for `user`; api_as(None) → anonymous."""
    from huitou.accounts.services import do_token_create

    def make(user):
        if user is None:
            return ApiClient()
        _token, raw = do_token_create(user=user)
        return ApiClient(raw)

    return make
