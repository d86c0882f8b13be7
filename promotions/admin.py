from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html

from promotions.errors import TooManyActivePromotions
from promotions.models import PARAMETER_FIELDS, AppliesTo, Promotion
from promotions.selectors import promotion_qr_url, promotion_url
from promotions.services import check_active_limit, save_promotion


class PromotionAdminForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = [
            "code",
            "name",
            "description",
            "kind",
            "applies_to",
            "products",
            "categories",
            *PARAMETER_FIELDS,
            "valid_from",
            "valid_until",
            "is_active",
            "priority",
            "stackable",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_active"].help_text = (
            f"The shop runs at most {settings.MAX_ACTIVE_PROMOTIONS} promotions at the same moment "
            "(setting MAX_ACTIVE_PROMOTIONS): saving is refused if this one's dates would make "
            "more run at once. Inactive and ended promotions do not count. Untick to withdraw "
            "a promotion at once."
        )

    def clean(self):
        data = super().clean()
        if data.get("applies_to") == AppliesTo.PRODUCTS and not data.get("products"):
            self.add_error("products", "Pick the products this promotion applies to.")
        if data.get("applies_to") == AppliesTo.CATEGORIES and not data.get("categories"):
            self.add_error("categories", "Pick the categories this promotion applies to.")
        return data

    def _post_clean(self):
        super()._post_clean()  # the model's own validation (kind parameters, dates)
        if self.errors:
            return
        try:
            check_active_limit(promotion=self.instance)
        except TooManyActivePromotions as exc:
            self.add_error(None, exc.message)


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    form = PromotionAdminForm
    list_display = [
        "code",
        "name",
        "kind",
        "applies_to",
        "valid_from",
        "valid_until",
        "is_active",
        "running_now",
        "stackable",
        "priority",
    ]
    list_filter = ["is_active", "kind", "applies_to", "stackable"]
    search_fields = ["code", "name", "description"]
    date_hierarchy = "valid_from"
    ordering = ["-valid_from"]
    # Products by id: a picker listing a million products would not load.
    raw_id_fields = ["products"]
    filter_horizontal = ["categories"]
    readonly_fields = ["links", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "description", "kind", "links"]}),
        ("Applies to", {"fields": ["applies_to", "products", "categories"]}),
        (
            "Parameters (fill only those the kind uses)",
            {
                "fields": [
                    "percent",
                    "amount",
                    ("buy_quantity", "free_quantity"),
                    ("bundle_quantity", "pay_quantity", "bundle_price"),
                    "threshold",
                ]
            },
        ),
        ("When", {"fields": ["valid_from", "valid_until", "is_active", "priority", "stackable"]}),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description="running now")
    def running_now(self, promotion: Promotion) -> str:
        return promotion.status().label

    @admin.display(description="public page and QR")
    def links(self, promotion: Promotion) -> str:
        if not promotion.code:
            return "-"
        return format_html(
            '<a href="{}" target="_blank">{}</a> · <a href="{}" target="_blank">QR code</a>',
            promotion_url(promotion.code),
            promotion_url(promotion.code),
            promotion_qr_url(promotion.code),
        )

    def save_model(self, request, obj, form, change):
        save_promotion(promotion=obj)  # targets follow in save_related, in the same transaction
