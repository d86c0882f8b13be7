from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from catalog.models import Product, Store, home_store_pk


class Cart(models.Model):
    """A server-side cart: an anonymous device carries its token; a signed-in customer owns one."""

    token = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Set when the cart is created, from the store the request named; it never moves.
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", default=home_store_pk
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.token


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    # The price the customer saw when adding: a later change is shown as a problem, not hidden.
    price_when_added = models.DecimalField(max_digits=10, decimal_places=2)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_line_one_per_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_id}"


class IdCheck(models.TextChoices):
    APPROVED = "approved", "ID seen, old enough"
    REFUSED = "refused", "refused: age-restricted lines returned"


class CartVoucher(models.Model):
    """A deposit-return voucher scanned into a cart: priced with it, redeemed at checkout."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="vouchers")
    code = models.CharField(max_length=13)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "code"], name="cart_voucher_once_per_cart")
        ]

    def __str__(self):
        return self.code


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        REQUIRES_ACTION = "requires_action", "waiting for the customer to authenticate"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        PARTIALLY_REFUNDED = "partially_refunded", "partially refunded"
        REFUNDED = "refunded", "refunded"

    OPEN = (Status.PENDING, Status.REQUIRES_ACTION)
    PAID = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED)

    transaction_id = models.CharField(max_length=32, unique=True)
    # An Idempotency-Key belongs to its caller ("user:<pk>" or "cart:<token>"): another client
    # sending the same key gets its own checkout. The database, not Python, decides which of two
    # racing requests owns a key within a scope.
    idempotency_scope = models.CharField(max_length=80, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    customer_id = models.CharField(max_length=64, blank=True)  # as the client sent it (SPEC)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    cart_token = models.CharField(max_length=64, blank=True, db_index=True)
    # Set when its customer deleted their account: kept for the books, with no link to them.
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Where it was bought: the stock it took, its receipt and its exit code are this store's.
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="orders", default=home_store_pk
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    payment_method = models.CharField(max_length=32)
    gateway = models.CharField(max_length=16)
    gateway_payment_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Not a secret of ours: Stripe.js needs it in the browser to finish 3-D Secure.
    client_secret = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    discount_total = models.DecimalField(max_digits=10, decimal_places=2)
    tax = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(max_digits=10, decimal_places=2)
    refunded_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    # Set in the same database transaction that returns the stock, so it is returned once.
    stock_released = models.BooleanField(default=False)
    failure_code = models.CharField(
        max_length=32, blank=True
    )  # declined | gateway_unavailable | ...
    failure_reason = models.CharField(max_length=255, blank=True)
    # Decided when the order is paid (checkout.services.audits) and never shown to the customer.
    audit_required = models.BooleanField(default=False)
    audit_reasons = models.CharField(max_length=255, blank=True)
    # The strictest minimum age of what was bought; the exit asks for an ID until staff answer.
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    id_check = models.CharField(max_length=8, choices=IdCheck.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("refund_order", "Can refund orders")]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gte=0), name="transaction_total_not_negative"
            ),
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                name="transaction_idempotency_key_per_scope",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("total")),
                name="transaction_refund_within_total",
            ),
        ]

    def __str__(self):
        return f"{self.transaction_id} {self.status} {self.total} {self.currency}"

    @property
    def refundable_amount(self) -> Decimal:
        return self.total - self.refunded_amount


class OrderLine(models.Model):
    """A snapshot: what was sold at what price, whatever the catalog says later."""

    transaction = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    product_code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=8)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    discount = models.DecimalField(max_digits=10, decimal_places=2)
    line_total = models.DecimalField(max_digits=10, decimal_places=2)
    discounts = models.JSONField(default=list)  # [{"promotion_id", "amount", "reason"}]
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.00"))
    # What the customer paid for these goods once vouchers were spread over the basket.
    paid = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    deposit = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    deposit_tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.00"))
    deposit_paid = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    returned_quantity = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("0"))

    class Meta:
        ordering = ["id"]
        constraints = [
            # Never more back than was bought, whoever returns it and however often.
            models.CheckConstraint(
                condition=Q(returned_quantity__gte=0)
                & Q(returned_quantity__lte=models.F("quantity")),
                name="order_line_returned_within_bought",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.name}"


class OrderTax(models.Model):
    """The order's VAT per rate, as its receipt printed it: what the accountant sums per day."""

    transaction = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="taxes")
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    net = models.DecimalField(max_digits=10, decimal_places=2)
    tax = models.DecimalField(max_digits=10, decimal_places=2)
    gross = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["-rate"]
        constraints = [
            models.UniqueConstraint(fields=["transaction", "rate"], name="order_tax_one_per_rate")
        ]

    def __str__(self):
        return f"{self.rate} %: {self.tax} of {self.gross}"


class VoucherRedemption(models.Model):
    """A deposit-return voucher spent on an order. The unique code is what makes a voucher
    redeemable once: of two checkouts racing with it the database lets one insert in. A failed
    payment deletes the row, so the voucher can be used again."""

    code = models.CharField(max_length=13, unique=True)
    transaction = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="vouchers")
    amount = models.DecimalField(max_digits=10, decimal_places=2)  # printed on it
    applied = models.DecimalField(max_digits=10, decimal_places=2)  # what it took off
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"voucher {self.code} ({self.applied})"


class CouponRedemption(models.Model):
    """One use of a coupon (a promotion with a code) by an order, written in the order's
    transaction under the promotion's row lock, so racing checkouts cannot exceed its limits.
    A failed payment or a full refund deletes the row: the use is free again."""

    promotion = models.ForeignKey(
        "promotions.Promotion", on_delete=models.PROTECT, related_name="coupon_redemptions"
    )
    transaction = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="coupons")
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coupon_redemptions",
    )
    code = models.CharField(max_length=32)  # as the promotion had it then
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "transaction"], name="coupon_used_once_per_order"
            )
        ]

    def __str__(self):
        return f"coupon {self.code} on {self.transaction_id}"


class OrderEvent(models.Model):
    """Audit log: every status change, with when and why."""

    transaction = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.from_status or '-'} → {self.to_status}: {self.reason}"


class Refund(models.Model):
    transaction = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    gateway_refund_id = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A return's Idempotency-Key: the same request twice is one return.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["transaction", "idempotency_key"], name="refund_idempotency_key_per_order"
            ),
        ]

    def __str__(self):
        return f"refund {self.amount} of {self.transaction_id}"


class RefundLine(models.Model):
    """Units of an order line given back in a return, and what they were paid."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="returns")
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    amount = models.DecimalField(max_digits=10, decimal_places=2)  # goods, at the line's rate
    deposit = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    restocked = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="refund_line_quantity_positive"
            )
        ]

    def __str__(self):
        return f"{self.quantity} × {self.order_line.name} back"


class WebhookEvent(models.Model):
    """Stripe events by id: a redelivered event is recognised and not processed again."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.event_id} {self.type}"


class GatewayDiscrepancy(models.Model):
    """A payment the gateway took that no succeeded transaction accounts for: staff must act."""

    gateway_payment_id = models.CharField(max_length=255, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=255)
    found_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["-found_at"]
        verbose_name_plural = "gateway discrepancies"

    def __str__(self):
        return f"{self.gateway_payment_id}: {self.note}"


class GatewayDiscrepancyEvent(models.Model):
    """Audit log of a discrepancy: every change of resolved, with who, when and why. No user
    means the shop itself (a late payment refunded automatically)."""

    discrepancy = models.ForeignKey(
        GatewayDiscrepancy, on_delete=models.CASCADE, related_name="events"
    )
    resolved = models.BooleanField()  # what it was set to
    reason = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{'resolved' if self.resolved else 'reopened'}: {self.reason}"


class ExitDecision(models.TextChoices):
    GO = "go", "go"
    AUDIT = "audit", "audit"
    ID_CHECK = "id_check", "ID check"
    STOP = "stop", "stop"


class GateDevice(models.Model):
    """A turnstile or gate that verifies exit codes with its own token. Only a hash is kept: the
    token is shown once, when a manager creates the device; revoking it stops it at once."""

    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name if self.revoked_at is None else f"{self.name} (revoked)"

    # DRF asks request.user/auth for these; a gate is authenticated but is nobody.
    is_authenticated = True
    is_staff = False


class AuditSettings(models.Model):
    """The shop's one row of exit-audit settings, edited in admin."""

    audit_rate = models.DecimalField(
        "audit rate (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("3.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    force_next = models.PositiveIntegerField("force audits for the next N paid baskets", default=0)
    # Risk: each signal multiplies the chance.
    high_value = models.DecimalField(
        "basket value counted as high", max_digits=10, decimal_places=2, default=Decimal("100.00")
    )
    high_value_factor = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("2"))
    many_weighed = models.PositiveSmallIntegerField("weighed lines counted as many", default=5)
    many_weighed_factor = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("2"))
    first_visit_factor = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("1.5"))
    discrepancy_factor = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("4"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "exit audit settings"

    def __str__(self):
        return f"audit {self.audit_rate} %"


class ExitVerification(models.Model):
    """Every scan of an exit code at the door, by a staff member or a gate, with the answer it
    got. The first "go" uses the code up: a later scan is a screenshot passed on."""

    transaction = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="exit_verifications"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    device = models.ForeignKey(
        GateDevice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=8, choices=ExitDecision.choices, default="go")
    reason = models.CharField(max_length=255, blank=True)
    verified_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["verified_at", "id"]
        indexes = [models.Index(fields=["transaction", "verified_at"])]

    def __str__(self):
        return f"exit of {self.transaction_id} at {self.verified_at:%Y-%m-%d %H:%M:%S}"

    @property
    def by(self) -> str:
        if self.verified_by_id:
            return self.verified_by.get_username()
        return self.device.name if self.device_id else "unknown"


class ExitAudit(models.Model):
    """A basket rescanned at the door: what was found missing from the receipt or extra on it,
    and what became of the missing goods (charged now, or written off)."""

    class Outcome(models.TextChoices):
        CLEAN = "clean", "nothing missing"
        CHARGED = "charged", "missing items charged"
        WRITTEN_OFF = "written_off", "missing items written off"

    transaction = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="exit_audit")
    audited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    missing = models.JSONField(default=list)  # [{"product_id", "name", "quantity", "amount"}]
    extra = models.JSONField(default=list)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    gateway_payment_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"audit of {self.transaction_id}: {self.get_outcome_display()}"

    @property
    def discrepancy(self) -> bool:
        return bool(self.missing or self.extra)
