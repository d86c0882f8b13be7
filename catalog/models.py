from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from catalog.gtin import GTIN, PLU, InvalidGtin, normalize_code, normalize_gtin
from grocery.money import round_money
from grocery.tax import TaxClass


def product_path(product_id: str) -> str:
    """A product's page in the PWA; its shelf label's QR code encodes the full product_url."""
    return f"/p/{product_id}"


def product_url(product_id: str, *, store: str | None = None) -> str:
    """The product's page; a label printed for one store of a chain names it (`store`, a code),
    and the app remembers the store from it."""
    url = f"{settings.PUBLIC_BASE_URL}{product_path(product_id)}"
    return f"{url}?store={store}" if store else url  # codes are slugs: nothing to escape


def store_url(code: str) -> str:
    """The store's entrance QR: opening it tells the app which store the phone is in
    (frontend.views.store_entrance)."""
    return f"{settings.PUBLIC_BASE_URL}/s/{code}"


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    # Age-restricted goods (alcohol, tobacco): the exit asks staff to see an ID. The stricter of
    # the product's and its category's figure applies.
    min_age = models.PositiveSmallIntegerField(
        "minimum age", null=True, blank=True, choices=[(16, "16"), (18, "18")]
    )
    # How much more likely a basket holding this is to be audited at the exit (1 = normal).
    control_weight = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("1.00"), validators=[MinValueValidator(1)]
    )
    # What its products are taxed at unless a product says otherwise (food: reduced).
    tax_class = models.CharField(max_length=8, choices=TaxClass.choices, default=TaxClass.STANDARD)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class Unit(models.TextChoices):
    """What a product's price is for. Quantities are whole items, or kilograms for anything sold
    by weight, whatever the price unit: 0.5 kg of cheese priced per 100 g is quantity 0.5."""

    EACH = "each", _("each")
    KG = "kg", _("per kg")
    HUNDRED_G = "100g", _("per 100 g")


# How many of a weighed product's price units make one kilogram.
PRICE_UNITS_PER_KG = {Unit.KG: 1, Unit.HUNDRED_G: 10}


def price_per_kg(price: Decimal, unit: str) -> Decimal | None:
    """The price of one kilogram, or None for items sold each: the one conversion of a price
    unit, used by pricing, labels, the product payload (so the PWA), the CSV export and stock."""
    factor = PRICE_UNITS_PER_KG.get(unit)
    return None if factor is None else price * factor


def quantity_fits_unit(quantity: Decimal, unit: str) -> bool:
    """Items sold each are counted in whole units; weighed goods in any kilogram figure. The one
    check behind the cart, the admin's stock form, the CSV import and the stock service."""
    return unit != Unit.EACH or quantity == quantity.to_integral_value()


def quantity_price(price: Decimal, unit: str) -> Decimal:
    """The price of one unit of quantity: an item, or a kilogram for weighed goods."""
    per_kg = price_per_kg(price, unit)
    return price if per_kg is None else per_kg


class StockState(models.TextChoices):
    """The stock level the API (stock_state), the admin and the dashboard show."""

    IN_STOCK = "in_stock"
    LOW = "low"
    OUT_OF_STOCK = "out_of_stock"


class ProductQuerySet(models.QuerySet):
    """Product.stock_state as filters: out at or under zero, low above zero but at or under the
    reorder level, in stock above both."""

    def out(self):
        return self.filter(stock__lte=0)

    def low(self):
        return self.filter(stock__gt=0, stock__lte=F("reorder_level"))

    def in_stock(self):
        return self.filter(stock__gt=0).filter(stock__gt=F("reorder_level"))

    def needs_reorder(self):
        """Low or out: what the daily stock alert mails the managers about."""
        return self.filter(Q(stock__lte=0) | Q(stock__lte=F("reorder_level")))


def validate_gtin(value: str) -> None:
    try:
        normalize_gtin(value)
    except InvalidGtin as exc:
        raise ValidationError(str(exc)) from exc


class Product(models.Model):
    # The short code printed on the shelf label and encoded in its QR code.
    product_id = models.CharField(max_length=32, unique=True)
    # Stored as GTIN-14 (zero-padded) so that the 8/12/13/14-digit forms all find it.
    gtin = models.CharField(
        "GTIN", max_length=14, unique=True, null=True, blank=True, validators=[validate_gtin]
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.EACH)
    # Whole units for items sold each, kilograms (3 places) for items sold by weight.
    stock = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("0"))
    reorder_level = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("0"))
    image = models.ImageField(upload_to="products/", blank=True)
    is_active = models.BooleanField("active", default=True)
    min_age = models.PositiveSmallIntegerField(
        "minimum age", null=True, blank=True, choices=[(16, "16"), (18, "18")]
    )
    control_weight = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("1.00"), validators=[MinValueValidator(1)]
    )
    # Blank: the category's tax class.
    tax_class = models.CharField(
        max_length=8, choices=TaxClass.choices, blank=True, help_text="Blank: the category's."
    )
    # Per item, on its own receipt line and never discounted; taxed at its own class.
    deposit = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    deposit_tax_class = models.CharField(
        max_length=8, choices=TaxClass.choices, default=TaxClass.STANDARD
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["product_id"]
        # Stock may go below zero: under STOCK_POLICY=record a sale is never refused, and a
        # negative figure is what asks staff to count (StockCountRequest).
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            # A deposit is per bottle or crate: weighed goods carry none.
            models.CheckConstraint(
                condition=Q(deposit=0) | (Q(deposit__gt=0) & Q(unit="each")),
                name="product_deposit_on_items_sold_each",
                violation_error_message="Only items sold each carry a deposit; none is negative.",
            ),
        ]
        indexes = [models.Index(fields=["category", "product_id"])]
        permissions = [
            ("adjust_stock", "Can adjust stock"),
            ("print_labels", "Can print shelf labels"),
        ]

    def __str__(self):
        return f"{self.product_id} {self.name}"

    def clean(self):
        if self.gtin:
            try:
                self.gtin = normalize_gtin(self.gtin)
            except InvalidGtin as exc:
                raise ValidationError({"gtin": str(exc)}) from exc
        else:
            self.gtin = None

    @property
    def required_age(self) -> int | None:
        """The stricter of the product's and its category's minimum age."""
        return max(self.min_age or 0, self.category.min_age or 0) or None

    @property
    def effective_tax_class(self) -> str:
        return self.tax_class or self.category.tax_class

    @property
    def sold_by_weight(self) -> bool:
        return self.unit != Unit.EACH

    @property
    def price_per_kg(self) -> Decimal | None:
        return price_per_kg(self.price, self.unit)

    @property
    def quantity_price(self) -> Decimal:
        return quantity_price(self.price, self.unit)

    def price_for(self, quantity: Decimal) -> Decimal:
        """What `quantity` (items, or kg) costs before promotions, rounded once to the cent."""
        return round_money(self.quantity_price * quantity)

    @property
    def stock_state(self) -> str:
        """The one stock-level rule; ProductQuerySet.out/low/in_stock filter by it."""
        if self.stock <= 0:
            return StockState.OUT_OF_STOCK
        if self.stock <= self.reorder_level:
            return StockState.LOW
        return StockState.IN_STOCK


class PriceList(models.Model):
    """The prices a group of stores sells at (e.g. the city stores): above the catalogue price,
    beneath a store's own override. A store follows at most one list (Store.price_list); an
    inactive list is ignored, as if its stores followed none."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive: its stores sell at the catalogue prices."
    )

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class PriceListEntry(models.Model):
    """A product's price in a price list. Written by catalog.services only, which copies it onto
    the rows of the stores following the list (StoreProduct.list_price)."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="price_list_entries"
    )
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["price_list", "product"]
        verbose_name_plural = "price list entries"
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product"], name="one_entry_per_price_list_product"
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="price_list_entry_price_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.product_id} in {self.price_list_id}"


class Store(models.Model):
    """One shop of the chain. A database with one store (the one migrated from the single-shop
    days, code settings.STORE_ID) needs no store named anywhere: catalog.stores makes it implicit."""

    code = models.SlugField(max_length=32, unique=True, help_text="Printed in URLs and exit codes.")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    opening_hours = models.TextField(blank=True, help_text="As shown to customers.")
    is_active = models.BooleanField("active", default=True)
    # PROTECT: a list that stores follow is not deleted under them (they would keep its prices).
    price_list = models.ForeignKey(
        PriceList,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stores",
        help_text="Blank: the catalogue prices, unless the store sets its own.",
    )
    # Who works here: a staff member sees and changes this store's stock, prices, labels and
    # transactions (catalog.selectors.stores_of says who sees which store).
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="stores",
        blank=True,
        help_text="Staff and store managers who work here. A chain manager needs no entry: "
        "they see every store.",
    )

    class Meta:
        ordering = ["code"]
        permissions = [("manage_all_stores", "Can see and change every store (chain manager)")]

    def __str__(self):
        return f"{self.code} {self.name}"


# What a home store created without a name is called until a manager names it.
HOME_STORE_NAME = "Our shop"


def home_store_code() -> str:
    return settings.STORE_ID


def get_home_store() -> Store:
    """The shop's own store, where a request naming none is (catalog.stores). A fresh database (a
    new installation, a flushed test database) gets it on first need, as the migration gave it
    to every existing one."""
    store, _ = Store.objects.get_or_create(
        code=home_store_code(), defaults={"name": HOME_STORE_NAME}
    )
    return store


def home_store_pk() -> int:
    """The default store of a cart, an order and a stock record made without naming one.
    (Migrations call it too, so it reads no column but the key and the code.)"""
    found = Store.objects.filter(code=home_store_code()).values_list("pk", flat=True).first()
    return found or get_home_store().pk


class StoreProductQuerySet(models.QuerySet):
    """ProductQuerySet.needs_reorder over one store's rows (a blank level is the catalogue's)."""

    def needs_reorder(self):
        level = Coalesce("reorder_level", "product__reorder_level")
        return self.filter(Q(stock__lte=0) | Q(stock__lte=level))


class StoreProduct(models.Model):
    """A product as one store sells it: listed or not, its stock there, and the store's own price
    (None: the catalogue's). The stock here is the one the store's checkout locks and takes from;
    Product.stock only mirrors the chain's total for the readers not yet per store."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="store_products")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="store_products")
    # The store's own override, above its price list's price (list_price).
    price = models.DecimalField(
        "store price",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Blank: the catalogue price.",
    )
    # The store's price list's price of the product (None: no active list, or no entry), a copy
    # that catalog.services keeps whenever an entry, a list or a store's list changes or the store
    # gets a new row. Denormalised rather than joined: every reader (the product lookup, hot or
    # cold, the cart, the quote, the checkout, the alerts) already loads this row in its one
    # query, so pricing by a list costs them nothing; the writes are the manager's, and rare.
    list_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, editable=False)
    stock = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("0"))
    reorder_level = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Blank: the catalogue's reorder level.",
    )
    is_listed = models.BooleanField("listed", default=True)

    objects = StoreProductQuerySet.as_manager()

    class Meta:
        ordering = ["store", "product"]
        constraints = [
            models.UniqueConstraint(fields=["store", "product"], name="one_row_per_store_product"),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0),
                name="store_product_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(list_price__isnull=True) | Q(list_price__gte=0),
                name="store_product_list_price_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.product_id} in {self.store_id}"


def validate_product_code(value: str) -> None:
    try:
        normalize_code(value)
    except InvalidGtin as exc:
        raise ValidationError(str(exc)) from exc


class ProductCode(models.Model):
    """A further code a product answers to: another GTIN (a supplier's new pack) or a PLU typed for
    loose produce. The product's own `gtin` stays its primary GTIN (the field the API always had);
    catalog.services.save_product_codes keeps every code unique across the catalogue."""

    class Kind(models.TextChoices):
        GTIN = GTIN, "GTIN (barcode)"
        PLU = PLU, "PLU (loose produce)"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="codes")
    # GTINs as GTIN-14 like Product.gtin, PLUs as typed.
    code = models.CharField(
        max_length=14,
        unique=True,
        validators=[validate_product_code],
        help_text="A GTIN (8, 12, 13 or 14 digits) or a PLU (4 or 5 digits).",
    )
    kind = models.CharField(max_length=4, choices=Kind.choices, editable=False)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[GTIN, PLU]), name="product_code_kind_known"
            )
        ]

    def __str__(self):
        return self.code

    def clean(self):
        try:
            self.code, self.kind = normalize_code(self.code)
        except InvalidGtin as exc:
            raise ValidationError({"code": str(exc)}) from exc


class ProductTranslation(models.Model):
    """A product's name and description in another of settings.LANGUAGES; the product's own
    fields are the default language's, and what every reader falls back to."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "language"], name="one_translation_per_language"
            )
        ]

    def __str__(self):
        return f"{self.language}: {self.name}"

    def clean(self):
        others = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        if self.language not in others:
            raise ValidationError({"language": f"One of {', '.join(others)}."})


class StockMovement(models.Model):
    """Audit log: one row per stock change, written by catalog.services and nothing else."""

    class Reason(models.TextChoices):
        COUNT = "count", "stock count"
        DELIVERY = "delivery", "delivery"
        SALE = "sale", "sale"
        RELEASE = "release", "payment failed, stock returned"
        REFUND = "refund", "refund, back on shelf"
        WRITE_OFF = "write_off", "taken unpaid, written off (exit audit)"
        CORRECTION = "correction", "correction"
        IMPORT = "import", "catalog import"
        SEED = "seed", "demo data"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="movements")
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", default=home_store_pk
    )
    delta = models.DecimalField(max_digits=12, decimal_places=3)
    resulting_stock = models.DecimalField(max_digits=12, decimal_places=3)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    reference = models.CharField(max_length=64, blank=True)  # e.g. a transaction id
    note = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.product_id} {self.delta:+} ({self.get_reason_display()})"


class StockCountRequest(models.Model):
    """ "Count this product": opened when a sale takes more than the recorded stock, closed when
    staff set a counted figure (catalog.services.set_stock, or set_stock_levels for an import).
    At most one is open per product."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="count_requests")
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", default=home_store_pk
    )
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The sale that found the shelf holding more than the records said.
    reference = models.CharField(max_length=64, blank=True)
    stock_before = models.DecimalField(max_digits=12, decimal_places=3)
    sold = models.DecimalField(max_digits=12, decimal_places=3)
    closed_at = models.DateTimeField(null=True, blank=True)
    counted_stock = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "product"],
                condition=Q(closed_at__isnull=True),
                name="one_open_count_request_per_store_product",
            )
        ]

    def __str__(self):
        return f"Count {self.product_id} ({'done' if self.closed_at else 'open'})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class StockAlert(models.Model):
    """One row per product and day an alert went out: the alerts task never repeats itself."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_alerts")
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="+", default=home_store_pk
    )
    day = models.DateField()
    stock = models.DecimalField(max_digits=12, decimal_places=3)
    # The run that claimed the row; concurrent runs insert with ON CONFLICT DO NOTHING and
    # each mails only the rows carrying its own batch.
    batch = models.UUIDField(db_index=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "product", "day"], name="one_stock_alert_per_store_day"
            )
        ]

    def __str__(self):
        return f"{self.product_id} on {self.day}"


class CatalogImport(models.Model):
    """A CSV upload and its outcome; large files are imported by a Celery task."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "imported"
        FAILED = "failed", "rejected, nothing imported"

    file_name = models.CharField(max_length=200)
    # The uploaded text, kept only until the import has run (the worker reads it from here).
    source = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"line": 7, "message": "..."}]
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("import_catalog", "Can import the catalog from CSV")]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
