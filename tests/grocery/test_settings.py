"""Production settings: with DEBUG off, `manage.py check --deploy` has nothing to report, and
production never takes the simulated (test) payment gateway unless told to."""

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
# Not inherited from the suite's environment: each test says what its deployment sets.
# (pytest-playwright allows async-unsafe ORM calls in this process; a deployment never would.)
NOT_INHERITED = {
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "ALLOW_SIMULATED_PAYMENTS",
    "PAYMENT_GATEWAY",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
}
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "shop.example",
    "SECURE_SSL_REDIRECT": "1",
}
STRIPE = {
    "PAYMENT_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run(sys.executable, "manage.py", *args, **env)


def run(*command: str, **env: str) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, **STRIPE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "PAYMENT_GATEWAY is 'simulated'"),  # the default: the test gateway
        ({"PAYMENT_GATEWAY": "stripe"}, "STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY"),
        ({**STRIPE, "STRIPE_WEBHOOK_SECRET": ""}, "STRIPE_WEBHOOK_SECRET not set"),
        ({"PAYMENT_GATEWAY": "stirpe"}, "PAYMENT_GATEWAY is 'stirpe'"),
    ],
)
def test_check_deploy_fails_naming_payment_gateway(env, named):
    result = manage("check", "--deploy", **PRODUCTION, **env)
    assert result.returncode != 0
    assert "PAYMENT_GATEWAY" in result.stderr and named in result.stderr, result.stderr


def test_a_demo_says_out_loud_that_it_takes_no_money():
    result = manage(
        "check", "--deploy", **PRODUCTION, PAYMENT_GATEWAY="simulated", ALLOW_SIMULATED_PAYMENTS="1"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_migrate_and_the_web_server_refuse_to_start_on_the_test_gateway():
    # migrate (and runserver) run the system checks; gunicorn loads grocery.wsgi, which checks.
    migrate = manage("migrate", "--plan", **PRODUCTION)
    assert migrate.returncode != 0 and "PAYMENT_GATEWAY" in migrate.stderr
    web = run(sys.executable, "-c", "import grocery.wsgi", **PRODUCTION)
    assert web.returncode != 0 and "PAYMENT_GATEWAY" in web.stderr
    assert run(sys.executable, "-c", "import grocery.wsgi", **PRODUCTION, **STRIPE).returncode == 0


def test_the_celery_worker_refuses_to_start_on_the_test_gateway(settings):
    from grocery.celery import refuse_a_misconfigured_payment_gateway

    settings.DEBUG = False
    settings.PAYMENT_GATEWAY = "simulated"
    settings.ALLOW_SIMULATED_PAYMENTS = False
    with pytest.raises(ImproperlyConfigured, match="PAYMENT_GATEWAY"):
        refuse_a_misconfigured_payment_gateway()
    settings.ALLOW_SIMULATED_PAYMENTS = True
    refuse_a_misconfigured_payment_gateway()


@pytest.mark.django_db
def test_seed_demo_creates_no_known_password_with_debug_off(settings):
    settings.DEBUG = False
    out = StringIO()
    call_command("seed_demo", products=5, stdout=out)
    assert "createsuperuser" in out.getvalue() and "scan-and-go" not in out.getvalue()
    assert not get_user_model().objects.filter(username="manager").exists()


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(("redis_url", "timeout"), [("", "60"), ("redis://127.0.0.1:1/0", "3600")])
def test_without_redis_cached_copies_expire_within_a_minute(redis_url, timeout):
    # Each process (web, Celery worker) then has its own memory cache: stock a worker returned
    # reaches the web's cached product only when that copy expires.
    code = "from django.conf import settings; print(settings.CACHES['default']['TIMEOUT'])"
    shown = manage(
        "shell", "-c", code, **PRODUCTION, ALLOW_SIMULATED_PAYMENTS="1", REDIS_URL=redis_url
    )
    assert shown.stdout.split()[-1] == timeout, shown.stderr
