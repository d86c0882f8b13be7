"""Forms of the checkout's admin pages: they validate what staff type; the services do the rest."""

from decimal import Decimal

from django import forms

from checkout.models import GatewayDiscrepancy


class RefundForm(forms.Form):
    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(max_length=200, required=False)


class DiscrepancyResolutionForm(forms.ModelForm):
    """Resolving (or reopening) a discrepancy is money staff account for: it must say why."""

    reason = forms.CharField(
        max_length=255,
        required=False,
        help_text="Why it is resolved or open again: a refund by hand, the order it belongs to…",
    )

    class Meta:
        model = GatewayDiscrepancy
        fields = ["resolved"]

    def clean(self):
        cleaned = super().clean()
        if "resolved" in self.changed_data and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Say why, for the audit log.")
        return cleaned
