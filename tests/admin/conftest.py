import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from shop.roles import STAFF, STORE_MANAGER


def _member(username: str, group: str, email: str = ""):
    user = get_user_model().objects.create_user(
        username, email=email, password=f"pw-{username}-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def manager(db):
    return _member("mia", STORE_MANAGER, "mia@shop.example")


@pytest.fixture
def shop_staff(db):
    return _member("sam", STAFF)


@pytest.fixture
def manager_client(manager):
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def shop_staff_client(shop_staff):
    client = Client()
    client.force_login(shop_staff)
    return client


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Admin pages link static files; tests run without collectstatic, so skip the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real Celery worker (separate process) on this run's test database and Redis broker."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.conf import settings as django_settings
    from django.db import connection

    from grocery.celery import app

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CONN_MAX_AGE": "0",
    }
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "grocery",
            "worker",
            "-P",
            "solo",
            "-l",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"admin-test-{os.getpid()}@%h",
        ],
        env=env,
        cwd=django_settings.BASE_DIR,
    )
    deadline = time.monotonic() + 30
    while not app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail("the Celery worker did not start")
    yield worker
    worker.terminate()
    worker.wait(20)
