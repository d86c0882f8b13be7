"""Promotions in the manager portal: validity at a glance, the active limit explained, posters."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.admin.printing import ask_store_page, store_to_print_for
from catalog.models import Store
from catalog.selectors import stores_of
from promotions.errors import TooManyActivePromotions
from promotions.models import PARAMETER_FIELDS, Promotion, Status, missing_target
from promotions.posters import render_posters, validity_text
from promotions.selectors import coupon_url, promotion_url, staff_promotions, stores_not_theirs
from promotions.services import check_active_limit, save_promotion

STATUS_COLOURS = {Status.ACTIVE: "#0f5132", Status.UPCOMING: "#7a5a00", Status.ENDED: "#6c757d"}


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        if self.value() in Status.values:
            return queryset.with_status(self.value(), timezone.now())
        return queryset


class StoreFilter(admin.SimpleListFilter):
    """A store's promotions: those chosen for it and those that run in every store."""

    title = _("store")
    parameter_name = "store"

    def lookups(self, request, model_admin):
        return [(s.code, str(s)) for s in Store.objects.all()]

    def queryset(self, request, queryset):
        return self.in_store(queryset, self.value()) if self.value() else queryset

    @staticmethod
    def in_store(queryset, code: str):
        return queryset.filter(Q(stores__code=code) | Q(stores__isnull=True)).distinct()


GATE_FIELDS = ("coupon_code", "uses_limit", "uses_per_customer", "members_only", "min_basket")


class PromotionForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = (
            "name",
            "description",
            "code",
            "kind",
            *PARAMETER_FIELDS,
            "applies_to",
            "products",
            "categories",
            "stores",
            "valid_from",
            "valid_until",
            "is_active",
            "priority",
            "stackable",
            *GATE_FIELDS,
        )

    def clean(self):
        data = super().clean()
        missing = missing_target(
            data.get("applies_to"), products=data.get("products"), categories=data.get("categories")
        )
        if missing:
            self.add_error(missing, f"Pick the {missing} this promotion applies to.")
        return data

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:  # the active-promotions limit, shown on the form rather than as an error page
            check_active_limit(promotion=self.instance, stores=self.cleaned_data.get("stores"))
        except TooManyActivePromotions as exc:
            self.add_error(None, exc.message)


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    form = PromotionForm
    list_display = (
        "code",
        "name",
        "kind",
        "validity",
        "store_list",
        "status_badge",
        "is_active",
        "priority",
        "coupon_code",
        "uses",
    )
    list_display_links = ("code", "name")
    list_filter = (StatusFilter, StoreFilter, "kind", "is_active", "applies_to", "members_only")
    search_fields = ("code", "name", "description", "coupon_code")
    autocomplete_fields = ("products",)
    filter_horizontal = ("categories", "stores")
    date_hierarchy = "valid_from"
    actions = ("print_posters",)
    readonly_fields = ("public_page", "uses", "coupon_qr")
    fieldsets = [
        (None, {"fields": ("name", "description", "code", "public_page")}),
        (
            "Discount",
            {"fields": ("kind", *PARAMETER_FIELDS)},
        ),
        ("Applies to", {"fields": ("applies_to", "products", "categories")}),
        ("Where", {"fields": ("stores",)}),
        ("When", {"fields": ("valid_from", "valid_until", "is_active", "priority", "stackable")}),
        ("Who may have it", {"fields": (*GATE_FIELDS, "uses", "coupon_qr")}),
    ]

    def get_queryset(self, request):
        # Checkouts using a coupon now (a failed or fully refunded one gave its use back).
        return (
            staff_promotions(request.user, super().get_queryset(request))
            .annotate(use_count=Count("coupon_redemptions"))
            .prefetch_related("stores")
        )

    # A store manager sees the promotions of their stores and those of every store, and changes
    # only those that run in their stores alone (promotions.selectors.stores_not_theirs).
    def _manages(self, request, obj) -> bool:
        return obj is None or not stores_not_theirs(request.user, list(obj.stores.all()))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._manages(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._manages(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "stores":
            kwargs["queryset"] = stores_of(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        user = request.user

        class StaffPromotionForm(form):
            def clean_stores(self):
                stores = list(self.cleaned_data.get("stores") or [])
                if others := stores_not_theirs(user, stores):
                    raise forms.ValidationError(
                        _("Choose the stores it runs in: you do not work for store %(store)s.")
                        % {"store": others[0].code}
                    )
                return self.cleaned_data.get("stores")

        return StaffPromotionForm

    @admin.display(description=_("Stores"))
    def store_list(self, promotion):
        return ", ".join(s.code for s in promotion.stores.all()) or _("All stores")

    @admin.display(description="uses", ordering="use_count")
    def uses(self, promotion):
        if not promotion.coupon_code:
            return "-"
        used = getattr(promotion, "use_count", None)
        if used is None:  # a new promotion's form
            used = promotion.coupon_redemptions.count() if promotion.pk else 0
        limit = f" of {promotion.uses_limit}" if promotion.uses_limit else ""
        return f"{used}{limit}"

    def has_print_posters_permission(self, request) -> bool:
        return request.user.has_perm("promotions.print_posters")

    def save_model(self, request, obj, form, change):
        # The stores now, as the limit was checked against them; products and categories
        # follow in save_related.
        save_promotion(promotion=obj, stores=form.cleaned_data.get("stores"))

    def changelist_view(self, request, extra_context=None):
        running = Promotion.objects.running(timezone.now())
        where = ""
        if store := request.GET.get(StoreFilter.parameter_name):
            running = StoreFilter.in_store(running, store)
            where = f" in {store}"
        extra_context = {
            **(extra_context or {}),
            "subtitle": f"{running.count()} of at most {settings.MAX_ACTIVE_PROMOTIONS} promotions "
            f"running now{where} (the limit holds in each store and counts promotions that overlap "
            "in time; ended and inactive ones do not count)",
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="valid")
    def validity(self, promotion):
        return validity_text(promotion)

    @admin.display(description="status")
    def status_badge(self, promotion):
        status = promotion.status()
        return format_html(
            '<strong style="color:{}">{}</strong>', STATUS_COLOURS[status], status.label
        )

    @admin.display(description="coupon QR")
    def coupon_qr(self, promotion):
        """To print on flyers or receipts: a phone that scans it has the code on its cart."""
        if not promotion.coupon_code:
            return "-"
        svg = reverse("coupon-qr", args=[promotion.coupon_code, "svg"])
        png = reverse("coupon-qr", args=[promotion.coupon_code, "png"])
        return format_html(
            '<img src="{}" width="120" height="120" alt="QR of coupon {}"><br>'
            '{} · <a href="{}" download>SVG</a> · <a href="{}" download>PNG</a>',
            svg,
            promotion.coupon_code,
            coupon_url(promotion.coupon_code),
            svg,
            png,
        )

    @admin.display(description="public page")
    def public_page(self, promotion):
        if not promotion.code:
            return "after saving"
        url = promotion_url(promotion.code)
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.action(description="Print posters (A5 PDF)", permissions=["print_posters"])
    def print_posters(self, request, queryset):
        store, form = store_to_print_for(request, request.POST)
        if store is None:
            title = "Print promotion posters for which store?"
            count = queryset.count()
            return ask_store_page(
                request, self, form, title=title, count=count, action="print_posters"
            )
        running_there = StoreFilter.in_store(queryset, store.code)
        if skipped := queryset.count() - running_there.count():
            self.message_user(
                request, f"{skipped} promotion(s) not running in {store.code} were not printed."
            )
        if not running_there.exists():
            return None
        response = HttpResponse(
            render_posters(running_there.order_by("code"), store=store),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = 'inline; filename="promotion-posters.pdf"'
        return response
