"""The forms of the catalog's manager pages: a product with its stock figure, a stock count, a CSV
upload. Stock figures are checked here and written by catalog.services.set_stock."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.forms.models import BaseInlineFormSet

from catalog.errors import CodeInUse
from catalog.gtin import GTIN, PLU, InvalidGtin, is_plu, normalize_code, normalize_gtin
from catalog.models import (
    Category,
    Product,
    ProductCode,
    ProductTranslation,
    StockMovement,
    Unit,
    quantity_fits_unit,
)
from catalog.services import check_code_free, check_further_code_free
from grocery.tax import TaxClass

# Reasons a person picks when changing stock by hand; sales and refunds come from checkout.
MANUAL_REASONS = [
    (StockMovement.Reason.COUNT, "Stock count"),
    (StockMovement.Reason.DELIVERY, "Delivery received"),
    (StockMovement.Reason.CORRECTION, "Correction (damaged, expired, lost)"),
]


def validate_stock_figure(value: Decimal, unit: str) -> None:
    if value < 0:
        raise forms.ValidationError("Stock cannot be negative.")
    if not quantity_fits_unit(value, unit):
        raise forms.ValidationError("Products sold each are counted in whole units.")


class LatestMovementsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        # A busy product has thousands of sales; the page shows the latest, a link shows all.
        return super().get_queryset()[:15]


class ControlWeightOptional:
    """The control weight may be left out (older forms, imports of the page): 1, the normal."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "control_weight" in self.fields:  # absent on a read-only page
            self.fields["control_weight"].required = False

    def clean_control_weight(self):
        return self.cleaned_data.get("control_weight") or Decimal(1)


class CategoryForm(ControlWeightOptional, forms.ModelForm):
    class Meta:
        model = Category
        fields = ("name", "slug", "min_age", "control_weight")


class ProductForm(ControlWeightOptional, forms.ModelForm):
    """The product's data plus a stock figure; the figure goes through catalog.services.set_stock."""

    new_stock = forms.DecimalField(
        label="Stock",
        min_value=0,
        max_digits=12,
        decimal_places=3,
        required=False,
        help_text="Counted figure (kg for products sold by weight). A change is recorded as a "
        "stock movement with the reason below.",
    )
    stock_reason = forms.ChoiceField(label="Reason", choices=MANUAL_REASONS, required=False)
    stock_note = forms.CharField(label="Note", max_length=200, required=False)

    class Meta:
        model = Product
        fields = (
            "product_id",
            "name",
            "category",
            "description",
            "image",
            "is_active",
            "price",
            "unit",
            "tax_class",
            "deposit",
            "deposit_tax_class",
            "reorder_level",
            "gtin",
            "min_age",
            "control_weight",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "new_stock" in self.fields:
            stock = self.instance.stock if self.instance.pk else 0
            self.fields["new_stock"].initial = f"{Decimal(stock).normalize():f}"  # 255, not 255.000
        # Most goods carry no deposit: left empty, it is none (at the standard rate).
        for name in ("deposit", "deposit_tax_class"):
            if name in self.fields:
                self.fields[name].required = False

    def clean_deposit(self):
        return self.cleaned_data.get("deposit") or Decimal("0.00")

    def clean_deposit_tax_class(self):
        return self.cleaned_data.get("deposit_tax_class") or TaxClass.STANDARD

    def clean_gtin(self):
        gtin = self.cleaned_data.get("gtin")
        if gtin:
            try:
                gtin = normalize_gtin(gtin)
                check_code_free(gtin, kind=GTIN, product=self.instance)
            except (InvalidGtin, CodeInUse) as exc:
                raise forms.ValidationError(str(exc)) from None
        return gtin

    def clean_product_id(self):
        product_id = self.cleaned_data.get("product_id")
        if product_id and is_plu(product_id):
            try:
                check_code_free(product_id, kind=PLU, product=self.instance)
            except CodeInUse as exc:
                raise forms.ValidationError(str(exc)) from None
        return product_id

    def clean(self):
        cleaned = super().clean()
        figure = cleaned.get("new_stock")
        if figure is not None and "new_stock" in self.fields:
            try:
                validate_stock_figure(figure, cleaned.get("unit") or Unit.EACH)
            except forms.ValidationError as exc:
                self.add_error("new_stock", exc)
        return cleaned


class ProductCodeForm(forms.ModelForm):
    """A further code in the product page's inline; the same uniqueness rule as the API's."""

    class Meta:
        model = ProductCode
        fields = ("code",)

    def clean_code(self):
        try:
            code, kind = normalize_code(self.cleaned_data["code"])
            # The inline is built on the product as the main form left it (its new GTIN too).
            check_further_code_free(
                code, kind=kind, product=self.instance.product, row_pk=self.instance.pk
            )
        except (InvalidGtin, CodeInUse) as exc:
            raise forms.ValidationError(str(exc)) from None
        return code


class ProductTranslationForm(forms.ModelForm):
    """The product's name and description in one of the other languages the shop speaks."""

    language = forms.ChoiceField(
        choices=[(c, n) for c, n in settings.LANGUAGES if c != settings.LANGUAGE_CODE]
    )

    class Meta:
        model = ProductTranslation
        fields = ("language", "name", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class AdjustStockForm(forms.Form):
    stock = forms.DecimalField(
        label="New stock figure", min_value=0, max_digits=12, decimal_places=3
    )
    reason = forms.ChoiceField(choices=MANUAL_REASONS)
    note = forms.CharField(max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, comma or semicolon separated, with a header row. Same columns as the "
        "export.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 50 MB.")
        try:
            return upload.name, upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "The file is not UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8'."
            ) from None
