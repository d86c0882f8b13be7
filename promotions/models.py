import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from catalog.models import Category, Product, Store
from promotions.engine import Kind as EngineKind
from promotions.engine import Window, window_status


class Kind(models.TextChoices):
    PERCENTAGE = EngineKind.PERCENTAGE, "percentage off"
    FIXED_OFF = EngineKind.FIXED_OFF, "fixed amount off each item"
    BUY_X_GET_Y = EngineKind.BUY_X_GET_Y, "buy X get Y free"
    MULTIBUY = EngineKind.MULTIBUY, "multibuy (3 for 2, 2 for 5.00)"
    THRESHOLD = EngineKind.THRESHOLD, "basket threshold (5.00 off a 50.00 spend)"


class AppliesTo(models.TextChoices):
    PRODUCTS = "products", "selected products"
    CATEGORIES = "categories", "whole categories"
    BASKET = "basket", "the whole basket"


class Status(models.TextChoices):
    ACTIVE = Window.ACTIVE, "active"
    UPCOMING = Window.UPCOMING, "upcoming"
    ENDED = Window.ENDED, "ended"


def missing_target(applies_to: str, *, products, categories) -> str | None:
    """The one rule that a promotion names what it applies to: the field left empty, if any.

    Only the form and the API know the targets before saving (the m2m rows follow the save), so
    both ask here and word the answer for their own readers. A basket promotion needs none.
    """
    if applies_to == AppliesTo.PRODUCTS and not products:
        return "products"
    if applies_to == AppliesTo.CATEGORIES and not categories:
        return "categories"
    return None


# Which parameters each kind needs (the rest must stay empty, so a form can't half-configure one).
KIND_FIELDS = {
    Kind.PERCENTAGE: {"percent"},
    Kind.FIXED_OFF: {"amount"},
    Kind.BUY_X_GET_Y: {"buy_quantity", "free_quantity"},
    Kind.THRESHOLD: {"amount", "threshold"},
}
PARAMETER_FIELDS = (
    "percent",
    "amount",
    "buy_quantity",
    "free_quantity",
    "bundle_quantity",
    "pay_quantity",
    "bundle_price",
    "threshold",
)


COUPON_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{2,31}")


def normal_coupon_code(code: str) -> str:
    """A code as typed or scanned, the way it is stored: no spaces around it, upper case."""
    return code.strip().upper()


LIMIT_HELP = (
    "Each store runs at most MAX_ACTIVE_PROMOTIONS promotions at the same moment (a setting, 5 by "
    "default): saving is refused if this one's dates and stores would make more than that run at "
    "once in any store. "
    "Inactive and ended promotions do not count. Untick to withdraw a promotion at once."
)


class PromotionQuerySet(models.QuerySet):
    """Status in SQL: the same windows as engine.window_status (valid_until is exclusive, and a
    withdrawn promotion has ended whatever its dates)."""

    def running(self, at: datetime) -> "PromotionQuerySet":
        return self.filter(is_active=True, valid_from__lte=at, valid_until__gt=at)

    def upcoming(self, at: datetime) -> "PromotionQuerySet":
        return self.filter(is_active=True, valid_from__gt=at)

    def ended(self, at: datetime) -> "PromotionQuerySet":
        return self.filter(Q(is_active=False) | Q(valid_until__lte=at))

    def not_ended(self, at: datetime) -> "PromotionQuerySet":
        """Running or upcoming."""
        return self.filter(is_active=True, valid_until__gt=at)

    def running_during(self, start: datetime, end: datetime) -> "PromotionQuerySet":
        """Running at some moment of [start, end)."""
        return self.filter(is_active=True, valid_from__lt=end, valid_until__gt=start)

    def with_status(self, status: str, at: datetime) -> "PromotionQuerySet":
        by_status = {
            Status.ACTIVE: self.running,
            Status.UPCOMING: self.upcoming,
            Status.ENDED: self.ended,
        }
        return by_status[status](at)


class Promotion(models.Model):
    # The public id: in the API, the promotion's URL and its QR code. Never changes once printed.
    code = models.SlugField(
        "public id",
        max_length=40,
        unique=True,
        null=True,  # empty until the row has its number (NULLs never clash, blanks would)
        blank=True,
        help_text="Used in the promotion's URL and QR code; left empty, it becomes promo<number>. "
        "Do not change it once posters are printed.",
    )
    name = models.CharField(max_length=100, help_text="Short, shown on receipts: '3 for 2'.")
    description = models.CharField(
        max_length=300, help_text="For customers: '10% off on all dairy products'."
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    applies_to = models.CharField(
        max_length=16, choices=AppliesTo.choices, default=AppliesTo.PRODUCTS
    )
    products = models.ManyToManyField(Product, blank=True, related_name="promotions")
    categories = models.ManyToManyField(Category, blank=True, related_name="promotions")
    # Where it runs: none chosen means every store of the chain (and a shop of one store never
    # chooses). The active-promotions limit counts it in each store it runs in.
    stores = models.ManyToManyField(
        Store,
        blank=True,
        related_name="promotions",
        help_text="The stores it runs in; leave empty for every store.",
    )

    percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percentage off: 10 means 10 %.",
    )
    amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Fixed amount off each item, or the money off a basket over the threshold.",
    )
    buy_quantity = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Buy X ..."
    )
    free_quantity = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="... get Y free."
    )
    bundle_quantity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(2)],
        help_text="Multibuy: how many items make a bundle (the 3 in '3 for 2').",
    )
    pay_quantity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Multibuy: how many of them are paid (the 2 in '3 for 2'); or set a bundle price.",
    )
    bundle_price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Multibuy: the price of a bundle (the 5.00 in '2 for 5.00').",
    )
    threshold = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Basket threshold: the qualifying spend, before other discounts.",
    )

    valid_from = models.DateTimeField(db_index=True)
    valid_until = models.DateTimeField(
        db_index=True, help_text="The first moment the promotion no longer applies."
    )
    is_active = models.BooleanField("active", default=True, help_text=LIMIT_HELP)
    priority = models.SmallIntegerField(
        default=0, help_text="Higher applies first when several promotions apply to one line."
    )
    stackable = models.BooleanField(
        default=False,
        help_text="A stacking promotion applies on top of others; of the promotions that do not "
        "stack, a product gets at most one, whichever saves the customer most.",
    )
    # Who may have it: a code to enter or scan (a coupon), members only, a minimum basket.
    coupon_code = models.CharField(
        max_length=32,
        null=True,  # NULLs never clash in the unique constraint
        blank=True,
        help_text="Set it to make this a coupon: it applies only when the customer enters or "
        "scans this code (letters and digits, case does not matter).",
    )
    uses_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Coupon: how many checkouts may use it in all; empty for no limit.",
    )
    uses_per_customer = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Coupon: how many times one member may use it; set, it is for members only.",
    )
    members_only = models.BooleanField(
        default=False,
        help_text="Member price: only for customers signed in or naming their loyalty card.",
    )
    min_basket = models.DecimalField(
        "minimum basket",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Applies only to baskets of at least this much (goods before discounts).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PromotionQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "valid_from", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")),
                name="promotion_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gt=0, percent__lte=100),
                name="promotion_percent_in_range",
            ),
            # Case does not matter to the customer typing it, so not to uniqueness either.
            models.UniqueConstraint(Upper("coupon_code"), name="promotion_coupon_code_unique"),
        ]
        permissions = [("print_posters", "Can print promotion posters")]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def for_members(self) -> bool:
        # A limit per customer is counted per member account, so it is for members only.
        return self.members_only or self.uses_per_customer is not None

    def status(self, at=None) -> Status:
        at = at or timezone.now()
        return Status(window_status(self.is_active, self.valid_from, self.valid_until, at))

    def clean(self):
        errors = {}
        self.coupon_code = normal_coupon_code(self.coupon_code or "") or None
        if self.coupon_code and not COUPON_CODE.fullmatch(self.coupon_code):
            errors["coupon_code"] = "Letters, digits and '-' only, 3 to 32 of them."
        if not self.coupon_code and (self.uses_limit or self.uses_per_customer):
            errors["coupon_code"] = "Limits on uses need a coupon code to count them by."
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = "Must be after the start."
        needed = set(KIND_FIELDS.get(self.kind, set()))
        if self.kind == Kind.MULTIBUY:
            needed.add("bundle_quantity")
            if (self.pay_quantity is None) == (self.bundle_price is None):
                errors["pay_quantity"] = (
                    "A multibuy needs either how many are paid ('3 for 2') or a bundle price "
                    "('2 for 5.00'), not both."
                )
            needed.add("pay_quantity" if self.pay_quantity is not None else "bundle_price")
            if (
                self.pay_quantity is not None
                and self.bundle_quantity
                and self.pay_quantity >= self.bundle_quantity
            ):
                errors["pay_quantity"] = "Must be fewer than the bundle size."
        for field in PARAMETER_FIELDS:
            value = getattr(self, field)
            if field in needed and value is None:
                errors.setdefault(field, f"Required for {self.get_kind_display()}.")
            elif field not in needed and value is not None:
                errors.setdefault(field, f"Not used by {self.get_kind_display()}; leave empty.")
        if self.kind == Kind.PERCENTAGE and self.percent is not None and self.percent <= 0:
            errors["percent"] = "Must be more than 0."
        if errors:
            raise ValidationError(errors)
