"""/healthz and /readyz: a probe can tell "alive", "degraded (no cache)" and "down (no database)"."""

import socket

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_answers_without_touching_services(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ok_with_every_service_up(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


def test_readyz_with_the_cache_down_is_200_and_degraded(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["cache"] == "degraded"
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readyz_with_the_database_unreachable_is_503(client):
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = closed_port()  # the next connect is refused
    try:
        response = client.get("/readyz")
    finally:
        connection.settings_dict["PORT"] = real_port
        connection.close()
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["checks"]["database"] == "down"
    assert response.json()["checks"]["cache"] == "ok"
    assert client.get("/readyz").status_code == 200  # and back once it answers again
