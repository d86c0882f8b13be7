import os

import pytest
from django.utils import translation
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from grocery import local_cache
from grocery.cache import reset_breaker
from promotions.selectors import forget_active_promotions
from recommendations.selectors import forget_memo
from tests.service_env import AVAILABLE

# Shared fixtures, one module per concern; helpers that go with them are imported from there.
pytest_plugins = [
    "tests.fixtures.people",
    "tests.fixtures.checkout",
    "tests.fixtures.celery",
    "tests.fixtures.browser",
]

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# CI explores the same examples on every run, so a red build is reproducible and never luck;
# local runs keep exploring new random ones (and print a blob to replay what they find).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_runtest_setup(item):
    for service in ("postgres", "redis", "chromium"):
        if item.get_closest_marker(service) and not AVAILABLE[service]:
            reason = f"{service} is not available on this machine"
            if REQUIRE_SERVICES:
                pytest.fail(f"{reason} and REQUIRE_SERVICES=1")
            pytest.skip(reason)


def pytest_report_header(config):
    return "services: " + ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in AVAILABLE.items())


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache and a closed circuit breaker."""
    from django.core.cache import cache

    reset_breaker()
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")  # only this run's prefixed keys: Redis is shared
    else:
        cache.clear()
    local_cache.reset()  # its memory outlives the rolled-back rows; a fresh one rereads the epoch
    if (local := local_cache.current()) is not None:  # tracking up before the test, however busy
        local.wait(lambda c: c.epoch() is not None, 10)  # the machine (else PostgreSQL answers)
    forget_active_promotions()  # the per-process memo outlives the rolled-back rows
    forget_memo()  # the bought-together lists' per-process memo, likewise
    yield
    reset_breaker()


@pytest.fixture(autouse=True)
def _default_language():
    """A German request leaves German active in the thread (LocaleMiddleware never switches
    back): the next test starts in the default language again."""
    yield
    translation.deactivate()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture(autouse=True)
def _static_files_without_manifest(settings):
    """Pages link static files by name; tests run without collectstatic, so there is no manifest of
    hashed names (the production names are exercised by bench/lighthouse.sh)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 costs a quarter of a second per user; tests need logins, not slow hashes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
