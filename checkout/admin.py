"""Orders are read-only evidence; the one thing staff do to them is refund, through the gateway.
Staff see, refund and take back the orders of the stores they work in (StoreScopedAdmin).
A gateway discrepancy is resolved through its service, which logs who, when and why."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from catalog.admin.scoped import StoreScopedAdmin
from checkout.authentication import new_device_token
from checkout.forms import DiscrepancyResolutionForm, RefundForm, ReturnForm
from checkout.models import (
    AuditSettings,
    CouponRedemption,
    ExitAudit,
    ExitVerification,
    GateDevice,
    GatewayDiscrepancy,
    GatewayDiscrepancyEvent,
    Order,
    OrderEvent,
    OrderLine,
    OrderTax,
    Refund,
    VoucherRedemption,
    WebhookEvent,
)
from checkout.services.discrepancies import set_discrepancy_resolved
from checkout.services.refunds import refund_order
from checkout.services.returns import ReturnedLine, return_lines
from grocery.admin import ReadOnlyAdmin, ReadOnlyInline, ReadOnlyMixin
from grocery.errors import DomainError


class PartOfParentInline(ReadOnlyInline):
    # Part of its parent: whoever may see the parent sees its lines, events and refunds.
    viewable_with = "checkout.view_order"

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(self.viewable_with)


class LineInline(PartOfParentInline):
    model = OrderLine
    fields = [
        "product_code",
        "name",
        "quantity",
        "unit_price",
        "discount",
        "line_total",
        "tax_rate",
        "deposit",
        "returned_quantity",
        "discounts",
    ]
    readonly_fields = fields


class TaxInline(PartOfParentInline):
    model = OrderTax
    fields = ["rate", "net", "tax", "gross"]
    readonly_fields = fields
    verbose_name_plural = "VAT per rate (as on the receipt)"


class VoucherInline(PartOfParentInline):
    model = VoucherRedemption
    fields = ["code", "amount", "applied", "created_at"]
    readonly_fields = fields
    verbose_name_plural = "deposit-return vouchers redeemed"


class CouponInline(PartOfParentInline):
    model = CouponRedemption
    fields = ["code", "promotion", "customer", "created_at"]
    readonly_fields = fields
    verbose_name_plural = "coupons used (a failed payment or a full refund frees the use)"


class EventInline(PartOfParentInline):
    model = OrderEvent
    fields = ["created_at", "from_status", "to_status", "reason"]
    readonly_fields = fields


class RefundInline(PartOfParentInline):
    model = Refund
    fields = ["created_at", "amount", "gateway_refund_id", "reason", "user"]
    readonly_fields = fields


class ExitVerificationInline(PartOfParentInline):
    model = ExitVerification
    fields = ["verified_at", "verified_by", "device", "decision", "reason"]
    readonly_fields = fields
    verbose_name_plural = "exit verifications (scans at the door)"


class ExitAuditInline(PartOfParentInline):
    model = ExitAudit
    fields = ["created_at", "audited_by", "outcome", "amount", "missing", "extra"]
    readonly_fields = [*fields, "gateway_payment_id"]
    verbose_name_plural = "exit audit (basket rescanned at the door)"


@admin.register(Order)
class OrderAdmin(StoreScopedAdmin, ReadOnlyAdmin):
    list_display = [
        "transaction_id",
        "created_at",
        "status",
        "total",
        "refunded_amount",
        "currency",
        "gateway",
        "customer",
    ]
    list_filter = ["status", "created_at", "gateway", "payment_method"]
    search_fields = ["transaction_id", "gateway_payment_id", "customer_id", "idempotency_key"]
    date_hierarchy = "created_at"
    inlines = [
        LineInline,
        TaxInline,
        VoucherInline,
        CouponInline,
        EventInline,
        RefundInline,
        ExitVerificationInline,
        ExitAuditInline,
    ]
    actions = ["refund_in_full"]
    readonly_fields = ["refund_link"]
    exclude = ["client_secret", "request_fingerprint"]

    def has_refund_permission(self, request):
        return request.user.has_perm("checkout.refund_order")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Order._meta.concrete_fields if f.name not in self.exclude] + [
            "customer",
            "refund_link",
        ]

    @admin.display(description="customer", ordering="customer_id")
    def customer(self, obj):
        # A deleted account's receipts stay for the books, with nothing that names the person.
        if obj.anonymised_at is not None:
            return "deleted customer"
        return obj.customer_id or "-"

    @admin.display(description="refund")
    def refund_link(self, obj):
        if obj.status not in Order.PAID:
            return "-"
        url = reverse("admin:checkout_order_refund", args=[obj.pk])
        back = reverse("admin:checkout_order_return", args=[obj.pk])
        return format_html(
            '<a class="button" href="{}">Return lines…</a> '
            '<a class="button" href="{}">Refund part or all…</a>',
            back,
            url,
        )

    def get_urls(self):
        refund = self.admin_site.admin_view(self.refund_view)
        give_back = self.admin_site.admin_view(self.return_view)
        return [
            path("<int:pk>/refund/", refund, name="checkout_order_refund"),
            path("<int:pk>/return/", give_back, name="checkout_order_return"),
            *super().get_urls(),
        ]

    def _order(self, request, pk: int) -> Order:
        """The order, if it is one of the user's stores' (403 if another store's)."""
        order = self.get_object(request, str(pk))
        if order is None:
            raise Http404
        return order

    def refund_view(self, request, pk: int):
        if not self.has_refund_permission(request):
            raise PermissionDenied
        order = self._order(request, pk)
        form = RefundForm(request.POST or None, initial={"amount": order.refundable_amount})
        if request.method == "POST" and form.is_valid():
            try:
                refund_order(order=order, user=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request, f"Refunded {form.cleaned_data['amount']} {order.currency}."
                )
                return redirect("admin:checkout_order_change", order.pk)
        context = {
            **self.admin_site.each_context(request),
            "order": order,
            "form": form,
            "title": "Refund",
        }
        return render(request, "admin/checkout/order/refund.html", context)

    def return_view(self, request, pk: int):
        if not self.has_refund_permission(request):
            raise PermissionDenied
        order = self._order(request, pk)
        form = ReturnForm(request.POST or None, lines=list(order.lines.all()))
        if request.method == "POST" and form.is_valid():
            chosen = form.returned()
            try:
                refund = return_lines(
                    order=order,
                    lines=[ReturnedLine(*row) for row in chosen],
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Returned; refunded {refund.amount} {order.currency}.")
                return redirect("admin:checkout_order_change", order.pk)
        context = {
            **self.admin_site.each_context(request),
            "order": order,
            "form": form,
            "title": f"Return lines of {order.transaction_id}",
        }
        return render(request, "admin/checkout/order/return.html", context)

    @admin.action(description="Refund selected orders in full", permissions=["refund"])
    def refund_in_full(self, request, queryset):
        for order in queryset:
            try:
                refund_order(
                    order=order,
                    amount=order.refundable_amount,
                    user=request.user,
                    reason="refunded in full from admin",
                )
            except DomainError as exc:
                self.message_user(request, f"{order.transaction_id}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{order.transaction_id}: refunded {order.refunded_amount} {order.currency}.",
                )


class DiscrepancyEventInline(PartOfParentInline):
    model = GatewayDiscrepancyEvent
    fields = ["created_at", "resolved", "user", "reason"]
    readonly_fields = fields
    verbose_name_plural = "audit log"
    viewable_with = "checkout.view_gatewaydiscrepancy"


@admin.register(GatewayDiscrepancy)
class GatewayDiscrepancyAdmin(admin.ModelAdmin):
    list_display = [
        "gateway_payment_id",
        "found_at",
        "amount",
        "currency",
        "reference",
        "note",
        "resolved",
    ]
    list_filter = ["resolved", "found_at"]
    readonly_fields = ["gateway_payment_id", "amount", "currency", "reference", "note", "found_at"]
    form = DiscrepancyResolutionForm
    inlines = [DiscrepancyEventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the record of money the gateway holds, and its audit log, stay

    def save_model(self, request, obj, form, change):
        if "resolved" in form.changed_data:
            set_discrepancy_resolved(
                discrepancy=obj,
                resolved=form.cleaned_data["resolved"],
                user=request.user,
                reason=form.cleaned_data["reason"],
            )


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["event_id", "type", "received_at", "processed_at"]
    list_filter = ["type", "received_at"]


@admin.register(GateDevice)
class GateDeviceAdmin(admin.ModelAdmin):
    """A manager adds a gate and sees its token once; revoking stops it at once."""

    list_display = ["name", "created_at", "created_by", "revoked_at"]
    fields = ["name"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return False  # a device is created or revoked, never edited

    def has_delete_permission(self, request, obj=None):
        return False  # kept, so its scans still name it

    def save_model(self, request, obj, form, change):
        token, obj.token_hash = new_device_token()
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            format_html(
                "Token for {}: <code>{}</code> — copy it into the gate now: it is not shown "
                "again. The gate sends it as <code>Authorization: Device &lt;token&gt;</code>.",
                obj.name,
                token,
            ),
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected devices' tokens", permissions=["add"])
    def revoke(self, request, queryset):
        done = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{done} device token(s) revoked.", messages.SUCCESS)


@admin.register(AuditSettings)
class AuditSettingsAdmin(admin.ModelAdmin):
    """One row: the audit rate, the risk factors, and audits forced for the next N baskets."""

    list_display = ["__str__", "force_next", "updated_at"]

    def has_add_permission(self, request):
        return not AuditSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
