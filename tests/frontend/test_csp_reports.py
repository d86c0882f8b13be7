"""CSP violation reports: stored once per kind with a count, bounded, rate-limited, and shown to
managers on the dashboard (tamper detection for the payment page)."""

import json

import pytest

from frontend.models import CspViolation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

URL = "/api/csp-reports"


def legacy_report(blocked="https://evil.example/skim.js?id=7", page="/checkout?x=1") -> dict:
    """What report-uri sends (Content-Type application/csp-report)."""
    return {
        "csp-report": {
            "document-uri": f"http://shop.example{page}",
            "referrer": "",
            "violated-directive": "script-src-elem",
            "effective-directive": "script-src-elem",
            "original-policy": "default-src 'self'",
            "disposition": "enforce",
            "blocked-uri": blocked,
            "status-code": 200,
        }
    }


def post(client, body, content_type="application/csp-report", **extra):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, raw, content_type=content_type, **extra)


def test_a_report_is_stored_without_query_strings(client):
    response = post(client, legacy_report())
    assert response.status_code == 204
    row = CspViolation.objects.get()
    assert (row.directive, row.blocked_uri, row.document_path, row.count) == (
        "script-src-elem",
        "https://evil.example/skim.js",
        "/checkout",
        1,
    )


def test_the_same_report_twice_is_one_row_counted_twice(client):
    post(client, legacy_report())
    post(client, legacy_report(page="/checkout?other=query"))  # same page, same script
    row = CspViolation.objects.get()
    assert row.count == 2 and row.last_seen >= row.first_seen


def test_the_reporting_api_format_is_understood(client):
    body = [
        {
            "type": "csp-violation",
            "age": 10,
            "url": "http://shop.example/checkout",
            "user_agent": "Chromium",
            "body": {
                "documentURL": "http://shop.example/checkout",
                "blockedURL": "inline",
                "effectiveDirective": "script-src-elem",
                "originalPolicy": "default-src 'self'",
                "sourceFile": "http://shop.example/checkout",
                "sample": "steal(card)",
                "disposition": "enforce",
                "statusCode": 200,
                "lineNumber": 3,
            },
        },
        {"type": "deprecation", "body": {"id": "x"}},  # not ours: ignored
    ]
    assert post(client, body, content_type="application/reports+json").status_code == 204
    row = CspViolation.objects.get()
    assert (row.blocked_uri, row.sample, row.source_file) == (
        "inline",
        "steal(card)",
        "http://shop.example/checkout",
    )


@pytest.mark.parametrize(
    "body",
    ["{not json", json.dumps({"csp-report": "nope"}), json.dumps([1, 2]), json.dumps({"a": 1})],
)
def test_garbage_is_a_400_in_the_error_shape(client, body):
    response = post(client, body)
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "detail"}
    assert not CspViolation.objects.exists()


def test_a_nul_character_is_a_400_not_a_server_error(client):
    # PostgreSQL stores no NUL in text: a report carrying one was a 500 from the database.
    report = legacy_report()
    report["csp-report"]["script-sample"] = "steal\u0000(card)"
    response = post(client, report)
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not CspViolation.objects.exists()


def test_a_flood_beyond_the_cap_stores_no_more_kinds(client, settings):
    settings.CSP_REPORTS_MAX_ROWS = 3
    for n in range(6):
        assert (
            post(client, legacy_report(blocked=f"https://evil{n}.example/x.js")).status_code == 204
        )
    assert CspViolation.objects.count() == 3
    post(client, legacy_report(blocked="https://evil0.example/x.js"))  # a known one still counts
    assert CspViolation.objects.get(blocked_uri="https://evil0.example/x.js").count == 2


def test_reports_are_rate_limited_per_client(client, settings):
    settings.CSP_REPORTS_RATE = "2/min"
    codes = [post(client, legacy_report()).status_code for _ in range(3)]
    assert codes == [204, 204, 429]
    other_ip = post(client, legacy_report(), REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 204
    assert CspViolation.objects.get().count == 3


def test_managers_see_recent_violations_on_the_dashboard(client, manager_client, shop_staff_client):
    post(client, legacy_report())
    page = manager_client.get("/admin/").content.decode()
    assert "Payment page integrity" in page
    assert "https://evil.example/skim.js" in page and "/checkout" in page
    assert "Payment page integrity" not in shop_staff_client.get("/admin/").content.decode()
