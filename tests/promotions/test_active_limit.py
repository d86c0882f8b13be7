"""The shop's limit on promotions running at the same moment (MAX_ACTIVE_PROMOTIONS)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from promotions.errors import TooManyActivePromotions
from promotions.models import Promotion
from tests.factories import make_promotion

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0) + DAY  # windows that start in the future


def window(now, first_day: int, last_day: int) -> dict:
    return {"valid_from": now + first_day * DAY, "valid_until": now + last_day * DAY}


def test_the_sixth_overlapping_promotion_is_refused_with_a_clear_message(now, settings):
    assert settings.MAX_ACTIVE_PROMOTIONS == 5
    for n in range(5):
        make_promotion(code=f"p{n}", name=f"Deal {n}", **window(now, 0, 10))
    with pytest.raises(TooManyActivePromotions) as refused:
        make_promotion(code="p5", **window(now, 5, 6))
    assert "at most 5 promotions at the same moment" in refused.value.message
    assert "Deal 0 (p0)" in refused.value.message
    assert refused.value.detail["promotions"] == ["p0", "p1", "p2", "p3", "p4"]
    assert not Promotion.objects.filter(code="p5").exists()


def test_windows_that_do_not_overlap_each_other_do_not_add_up(now):
    # Three in the first week, three in the second: six overlap the month-long one, but at
    # most four (three + the new one) ever run at once.
    for n in range(3):
        make_promotion(code=f"a{n}", **window(now, 0, 7))
        make_promotion(code=f"b{n}", **window(now, 7, 14))  # starts as the "a"s end: no overlap
    make_promotion(code="month", **window(now, 0, 30))
    make_promotion(code="fifth", **window(now, 0, 30))
    with pytest.raises(TooManyActivePromotions):
        make_promotion(code="sixth", **window(now, 6, 8))
    make_promotion(code="later", **window(now, 14, 20))  # only month and fifth run then
    assert Promotion.objects.count() == 9
    assert not Promotion.objects.filter(code="sixth").exists()


def test_inactive_and_ended_promotions_do_not_count(now):
    for n in range(5):
        make_promotion(code=f"p{n}", **window(now, 0, 10))
    make_promotion(code="off", is_active=False, **window(now, 0, 10))
    make_promotion(code="after", **window(now, 10, 20))  # starts as the five end
    assert set(
        Promotion.objects.filter(code__in=["off", "after"]).values_list("code", flat=True)
    ) == {"off", "after"}
    with pytest.raises(TooManyActivePromotions) as refused:  # the five still count, and only they
        make_promotion(code="sixth", **window(now, 5, 6))
    assert refused.value.detail["promotions"] == ["p0", "p1", "p2", "p3", "p4"]


def test_the_limit_is_a_setting(now, settings):
    settings.MAX_ACTIVE_PROMOTIONS = 2
    make_promotion(code="one", **window(now, 0, 10))
    make_promotion(code="two", **window(now, 0, 10))
    with pytest.raises(TooManyActivePromotions, match="at most 2"):
        make_promotion(code="three", **window(now, 0, 10))


def test_reactivating_over_the_limit_is_refused(now):
    for n in range(5):
        make_promotion(code=f"p{n}", **window(now, 0, 10))
    paused = make_promotion(code="paused", is_active=False, **window(now, 0, 10))
    paused.is_active = True
    from promotions.services import save_promotion

    with pytest.raises(TooManyActivePromotions):
        save_promotion(promotion=paused)
    paused.refresh_from_db()
    assert paused.is_active is False


def test_kind_parameters_are_validated():
    with pytest.raises(ValidationError) as invalid:
        make_promotion(code="bad", kind="multibuy", percent=None, bundle_quantity=3)
    assert "pay_quantity" in invalid.value.message_dict
    with pytest.raises(ValidationError) as invalid:
        make_promotion(code="bad", kind="fixed_off")  # percent left over from the defaults
    assert set(invalid.value.message_dict) == {"amount", "percent"}


def test_a_blank_public_id_becomes_promo_and_its_number():
    promotion = make_promotion()
    assert promotion.code == f"promo{promotion.pk}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_saving_at_once_cannot_both_squeeze_under_the_limit(now):
    """Four running, two saves race for the fifth place: the advisory lock lets one through."""
    import threading

    from django.db import connection

    for n in range(4):
        make_promotion(code=f"p{n}", **window(now, 0, 10))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(code: str) -> None:
        try:
            barrier.wait(timeout=10)
            make_promotion(code=code, **window(now, 0, 10))
            outcomes.append("saved")
        except TooManyActivePromotions:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(code,)) for code in ("x", "y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "saved"]
    assert Promotion.objects.count() == 5
