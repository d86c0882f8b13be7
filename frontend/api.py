"""POST /api/csp-reports: where browsers send Content-Security-Policy violations (report-uri and
report-to both point here). Anyone may post, so it answers 204 whatever happened to the report,
stores it bounded (frontend.services) and is rate-limited per client."""

from urllib.parse import urlsplit

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from frontend.errors import InvalidCspReport
from frontend.models import CspViolation
from frontend.services import ViolationReport, record_csp_violation
from grocery.parsers import StoredJSONParser  # nesting limit, and no NUL for the database
from grocery.throttles import WindowRateThrottle


class CspReportParser(StoredJSONParser):
    media_type = "application/csp-report"  # report-uri


class ReportsParser(StoredJSONParser):
    media_type = "application/reports+json"  # report-to (the Reporting API)


class CspReportThrottle(WindowRateThrottle):
    """Per client address, counted like every other rate limit (shared cache, fails open)."""

    scope = "csp-report"

    def rate(self, view) -> str:
        return settings.CSP_REPORTS_RATE


def _fit(value, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidCspReport(field=field)
    return value[: CspViolation._meta.get_field(field).max_length]


def _without_query(url: str) -> str:
    """Query strings and fragments may carry tokens; and they would split one violation in many."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}{parts.path}"
    return url  # "inline", "eval", "data", ...


def _report(*, directive, blocked, document, source, sample) -> ViolationReport:
    if not isinstance(document, str) or not isinstance(directive, str) or not directive:
        raise InvalidCspReport()
    return ViolationReport(
        directive=_fit(directive, "directive"),
        blocked_uri=_fit(_without_query(blocked or ""), "blocked_uri"),
        document_path=_fit(urlsplit(document).path or "/", "document_path"),
        source_file=_fit(_without_query(source or ""), "source_file"),
        sample=_fit(sample or "", "sample"),
    )


def parse_reports(data) -> list[ViolationReport]:
    """Both shapes browsers send: {"csp-report": {...}} (report-uri) and a list of reports whose
    csp-violation entries carry a body (report-to)."""
    if isinstance(data, dict) and isinstance(data.get("csp-report"), dict):
        r = data["csp-report"]
        return [
            _report(
                directive=r.get("effective-directive") or r.get("violated-directive"),
                blocked=r.get("blocked-uri"),
                document=r.get("document-uri"),
                source=r.get("source-file"),
                sample=r.get("script-sample"),
            )
        ]
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):
        reports = []
        for r in data:
            if r.get("type") != "csp-violation":
                continue  # other report types may share the endpoint; not ours to keep
            body = r.get("body")
            if not isinstance(body, dict):
                raise InvalidCspReport()
            reports.append(
                _report(
                    directive=body.get("effectiveDirective"),
                    blocked=body.get("blockedURL"),
                    document=body.get("documentURL"),
                    source=body.get("sourceFile"),
                    sample=body.get("sample"),
                )
            )
        return reports
    raise InvalidCspReport()


class CspReportApi(APIView):
    # Browsers post reports without cookies' CSRF token; a report needs no identity anyway.
    authentication_classes: list = []
    permission_classes: list = []
    parser_classes = [CspReportParser, ReportsParser, StoredJSONParser]
    throttle_classes = [CspReportThrottle]

    @extend_schema(exclude=True)  # for browsers, not API clients (docs/api.md describes it)
    def post(self, request):
        for report in parse_reports(request.data):
            record_csp_violation(report)
        return Response(status=status.HTTP_204_NO_CONTENT)
