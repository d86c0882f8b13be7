"""Customers in the manager portal: their loyalty card and their ledger, read-only; points are
changed only by an adjustment with a reason, which the ledger keeps (customers.services)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from customers.errors import InsufficientPoints
from customers.forms import AdjustPointsForm
from customers.models import Customer, PointsEntry
from customers.selectors import points_balance
from customers.services.loyalty import adjust_points


class PointsEntryInline(admin.TabularInline):
    model = PointsEntry
    fk_name = "customer"
    fields = ("created_at", "kind", "points", "reason", "order", "created_by")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    extra = 0
    can_delete = False
    verbose_name_plural = "points ledger (append-only: use Adjust points to correct it)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("email", "card_number", "balance", "created_at")
    search_fields = ("user__email", "card_number")
    readonly_fields = ("user", "card_number", "balance", "adjust", "created_at")
    fields = readonly_fields
    inlines = [PointsEntryInline]
    actions = ["adjust_points_action"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(points_total=Coalesce(Sum("points__points"), 0))
        )

    @admin.display(ordering="user__email")
    def email(self, customer):
        return "deleted customer" if customer.deleted_at else customer.user.email

    @admin.display(description="points", ordering="points_total")
    def balance(self, customer):
        return customer.points_total

    @admin.display(description="adjust")
    def adjust(self, customer):
        url = reverse("admin:customers_customer_adjust_points", args=[customer.pk])
        return format_html('<a href="{}">Adjust points (with a reason)</a>', url)

    def has_add_permission(self, request):
        return False  # customers sign up themselves

    def has_delete_permission(self, request, obj=None):
        return False  # the ledger keeps its entries (deleting an account comes later)

    @admin.action(description="Adjust points (with a reason)", permissions=["change"])
    def adjust_points_action(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose one customer to adjust.", messages.WARNING)
            return None
        return redirect("admin:customers_customer_adjust_points", queryset.get().pk)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/points/",
                wrap(self.adjust_points_view),
                name="customers_customer_adjust_points",
            ),
            *super().get_urls(),
        ]

    def adjust_points_view(self, request, pk: int):
        if not self.has_change_permission(request):
            raise PermissionDenied
        customer = get_object_or_404(Customer.objects.select_related("user"), pk=pk)
        form = AdjustPointsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = adjust_points(customer=customer, **form.cleaned_data, user=request.user)
            except InsufficientPoints as exc:
                form.add_error("points", exc.message)
            else:
                self.message_user(
                    request,
                    f"{entry.points:+d} points for {customer}: {points_balance(customer)} now.",
                    messages.SUCCESS,
                )
                return redirect("admin:customers_customer_change", customer.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust points: {customer}",
            "opts": self.opts,
            "original": customer,
            "balance": points_balance(customer),
            "form": form,
        }
        return TemplateResponse(request, "admin/customers/customer/adjust_points.html", context)


@admin.register(PointsEntry)
class PointsEntryAdmin(admin.ModelAdmin):
    """The whole ledger, read-only: what was earned, redeemed, reversed and expired, and why."""

    list_display = ("created_at", "customer", "kind", "points", "reason", "order")
    list_filter = ("kind",)
    search_fields = ("customer__user__email", "customer__card_number", "order__transaction_id")
    list_select_related = ("customer__user", "order")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
