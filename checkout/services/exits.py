"""Scans of exit codes at the door."""

from django.db import transaction

from checkout.models import ExitVerification, Order


def record_exit_verification(*, order: Order, user) -> tuple[ExitVerification, bool]:
    """Log a scan at the door; returns the code's first verification and whether this scan came
    after it. The order row is locked so that two gates scanning the same screenshot at the
    same instant cannot both be told they were first."""
    with transaction.atomic():
        Order.objects.select_for_update().get(pk=order.pk)
        first = (
            ExitVerification.objects.filter(transaction=order).select_related("verified_by").first()
        )
        mine = ExitVerification.objects.create(transaction=order, verified_by=user)
    return first or mine, first is not None
