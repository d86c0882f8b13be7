"""The admin's login locks an account out after repeated failures (django-axes)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


def log_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def locked_out(manager, settings):
    """Mia's login from this address after AXES_FAILURE_LIMIT wrong passwords."""
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "mia", "guess").status_code == 200  # the form again, with its error
    assert log_in(client, "mia", "guess").status_code == 429  # the last try locks
    return client


def test_the_real_password_is_refused_while_locked_out(locked_out):
    response = log_in(locked_out, "mia", "pw-mia-123")
    assert response.status_code == 429
    assert "locked after too many failed logins" in response.content.decode()
    assert not signed_in(locked_out)


def test_the_lock_is_per_account_and_address(locked_out, shop_staff):
    assert log_in(locked_out, "sam", "pw-sam-123").status_code == 302  # another account
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert log_in(elsewhere, "mia", "pw-mia-123").status_code == 302  # a guesser can't lock her out
    assert signed_in(elsewhere)


def test_the_account_opens_again_after_the_cool_off(locked_out, settings):
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    )
    assert log_in(locked_out, "mia", "pw-mia-123").status_code == 302
    assert signed_in(locked_out)


def test_an_administrator_can_unlock_it(locked_out):
    call_command("axes_reset_username", "mia")
    assert log_in(locked_out, "mia", "pw-mia-123").status_code == 302
    assert signed_in(locked_out)


def test_admin_sessions_last_a_working_day(manager, settings):
    client = Client()
    log_in(client, "mia", "pw-mia-123")
    assert settings.SESSION_COOKIE_AGE == 9 * 3600
    assert client.session.get_expiry_age() == 9 * 3600
    assert client.cookies["sessionid"]["max-age"] == 9 * 3600
