"""Bad input is a JSON 4xx with the error shape on every API route: never a 500, never HTML."""

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from grocery.parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db


def api_routes() -> list[str]:
    """Every /api/ route of the URLconf, its parameters filled with a plausible value."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    routes = []
    for route in walk(get_resolver().url_patterns):
        if route.startswith("api/"):
            for converter in ("<str:", "<slug:"):
                while converter in route:
                    start = route.index(converter)
                    route = route[:start] + "x1" + route[route.index(">", start) + 1 :]
            routes.append("/" + route)
    return routes


ROUTES = api_routes()
DEEP = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
BODIES = {
    "malformed_json": ("application/json", '{"product_id": "12345", '),
    "deeply_nested_json": ("application/json", json.dumps({"cart": json.loads(DEEP)})),
    "recursion_bomb": ("application/json", "[" * 200_000),
    "not_json": ("text/plain", "product_id=12345"),
    "form_encoded": ("application/x-www-form-urlencoded", "product_id=12345&quantity=1"),
}


def assert_json_4xx(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:200])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) >= {"code", "message", "detail"}, body
    assert isinstance(body["code"], str) and body["message"]


def test_every_api_route_is_covered():
    assert len(ROUTES) >= 20 and "/api/cart/lines/x1" in ROUTES


@pytest.mark.parametrize("route", ROUTES)
def test_nul_in_the_path_is_a_json_400(route):
    nul = route.replace("x1", "x%001") if "x1" in route else route + "%00"
    response = APIClient().get(nul)
    assert_json_4xx(response)
    assert response.status_code == 400


@pytest.mark.parametrize("route", ROUTES)
def test_nul_in_the_query_is_a_json_400(route):
    response = APIClient().get(route + "?q=a%00b")
    assert_json_4xx(response)
    assert response.status_code == 400


@pytest.mark.parametrize("kind", sorted(BODIES))
@pytest.mark.parametrize("method", ["post", "put"])
@pytest.mark.parametrize("route", ROUTES)
def test_bad_bodies_are_a_json_4xx(route, method, kind, staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)  # past the permission checks, to the parser
    content_type, body = BODIES[kind]
    assert_json_4xx(getattr(client, method)(route, body, content_type=content_type))


@pytest.mark.parametrize("route", ["/api/cart/lines", "/api/checkout", "/api/checkout/quote"])
def test_what_the_parser_refuses_says_why(route):
    client = APIClient()
    nested = client.post(route, BODIES["deeply_nested_json"][1], content_type="application/json")
    assert nested.status_code == 400 and "nested deeper" in nested.json()["message"]
    bomb = client.post(route, BODIES["recursion_bomb"][1], content_type="application/json")
    assert bomb.status_code == 400 and bomb.json()["code"] == "parse_error"
    text = client.post(route, "hello", content_type="text/plain")
    assert text.status_code == 415 and text.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("route", ROUTES)
def test_an_oversized_body_is_a_json_413(route, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = APIClient().post(route, "x" * 1001, content_type="application/json")
    assert_json_4xx(response)
    assert response.status_code == 413
    assert response.json()["detail"] == {"max_bytes": 1000}


def test_a_wrong_method_on_a_plain_django_view_is_json_with_allow():
    response = APIClient().post("/api/products/12345")
    assert_json_4xx(response)
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert response.json()["code"] == "method_not_allowed"


def test_csrf_failure_on_the_api_is_json(staff_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff_user)
    response = client.put("/api/inventory/12345", {"stock": 1}, format="json")
    assert_json_4xx(response)
    assert response.status_code == 403 and "CSRF" in response.json()["message"]
