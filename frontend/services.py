"""Writes of the frontend app: CSP violation reports."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from frontend.models import CspViolation


@dataclass(frozen=True)
class ViolationReport:
    directive: str
    blocked_uri: str
    document_path: str
    source_file: str = ""
    sample: str = ""

    @property
    def key(self) -> str:
        identity = "\n".join(
            [self.directive, self.blocked_uri, self.document_path, self.source_file]
        )
        return hashlib.sha256(identity.encode()).hexdigest()


def record_csp_violation(report: ViolationReport) -> bool:
    """Count a reported violation; False when it was dropped because the table is full.

    Known violations only bump their count. A new kind is stored while fewer than
    CSP_REPORTS_MAX_ROWS kinds are known: anyone can post reports, and a flood of made-up ones
    must not grow the table (the rate limit per client is the other half of that).
    """
    now = timezone.now()
    if CspViolation.objects.filter(key=report.key).update(count=F("count") + 1, last_seen=now):
        return True
    if CspViolation.objects.count() >= settings.CSP_REPORTS_MAX_ROWS:
        return False
    try:
        with transaction.atomic():
            CspViolation.objects.create(
                key=report.key,
                directive=report.directive,
                blocked_uri=report.blocked_uri,
                document_path=report.document_path,
                source_file=report.source_file,
                sample=report.sample,
                last_seen=now,
            )
    except IntegrityError:  # the same new violation, reported at the same moment by another phone
        CspViolation.objects.filter(key=report.key).update(count=F("count") + 1, last_seen=now)
    return True
