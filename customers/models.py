from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Customer(models.Model):
    """A shopper who signed up: Django's user signs them in; this row carries the loyalty card.

    Its row is the lock that serialises everything that spends points (redeem, expire, adjust)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer"
    )
    # Random with an EAN-13 check digit (customers.cards): printed as a barcode, never derived
    # from the user's id, so nobody can guess another customer's card.
    card_number = models.CharField(max_length=13, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the customer deletes their account (customers.services.accounts.delete_account):
    # the row stays for the ledger and the coupon uses that point at it, with nothing personal.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        if self.deleted_at is not None:
            return f"deleted customer #{self.pk}"
        return f"{self.user.email or self.user.get_username()} ({self.card_number})"


class PointsEntry(models.Model):
    """One line of the loyalty ledger. Append-only: a mistake is corrected by a new entry
    (adjust or reverse), never by editing one; the balance is the sum (customers.selectors)."""

    class Kind(models.TextChoices):
        EARN = "earn", "earned"
        REDEEM = "redeem", "redeemed"
        EXPIRE = "expire", "expired"
        ADJUST = "adjust", "adjusted by staff"
        REVERSE = "reverse", "reversed (refund or failed payment)"
        FORFEIT = "forfeit", "forfeited (account deleted)"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="points")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    points = models.IntegerField()  # positive adds to the balance, negative takes away
    reason = models.CharField(max_length=255)
    order = models.ForeignKey(
        "checkout.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points_entries",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the staff member who adjusted",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "points entries"
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind__in=["earn"]) | Q(points__gt=0),
                name="points_earned_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["redeem", "expire"]) | Q(points__lt=0),
                name="points_spent_negative",
            ),
            # One earn and one redeem per order, whoever calls twice (webhook and reconcile).
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(kind__in=["earn", "redeem"]),
                name="points_earn_and_redeem_once_per_order",
            ),
        ]

    def __str__(self):
        return f"{self.points:+d} {self.kind}"
