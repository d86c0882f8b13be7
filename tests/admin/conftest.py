import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from catalog.roles import STAFF, STORE_MANAGER


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
