"""A promotion's status is one rule: the queryset (SQL) and the row (Python) always agree."""

from datetime import timedelta

import pytest
from django.utils import timezone

from promotions.models import Promotion, Status
from tests.factories import make_promotion

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def test_the_queryset_and_the_row_agree_on_every_status_at_its_edges():
    now = timezone.now().replace(microsecond=0)
    make_promotion(code="running", valid_from=now - DAY, valid_until=now + DAY)
    make_promotion(code="starts-now", valid_from=now, valid_until=now + DAY)
    make_promotion(code="upcoming", valid_from=now + DAY, valid_until=now + 2 * DAY)
    make_promotion(code="ends-now", valid_from=now - DAY, valid_until=now)  # valid_until exclusive
    make_promotion(code="withdrawn", is_active=False, valid_from=now - DAY, valid_until=now + DAY)
    expected = {
        Status.ACTIVE: {"running", "starts-now"},
        Status.UPCOMING: {"upcoming"},
        Status.ENDED: {"ends-now", "withdrawn"},
    }
    for status, codes in expected.items():
        in_sql = set(Promotion.objects.with_status(status, now).values_list("code", flat=True))
        in_python = {p.code for p in Promotion.objects.all() if p.status(now) == status}
        assert in_sql == in_python == codes, status
    assert set(Promotion.objects.running(now).values_list("code", flat=True)) == {
        "running",
        "starts-now",
    }
