"""Forms of the checkout's admin pages: they validate what staff type; the services do the rest."""

from decimal import Decimal

from django import forms

from checkout.models import GatewayDiscrepancy


class RefundForm(forms.Form):
    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(max_length=200, required=False)


class ReturnForm(forms.Form):
    """One row per order line: how many units come back and whether they go back on the shelf."""

    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.quantity > line.returned_quantity]
        for line in self.lines:
            left = line.quantity - line.returned_quantity
            self.fields[f"quantity_{line.pk}"] = forms.DecimalField(
                label=f"{line.name} (at most {left.normalize():f})",
                min_value=Decimal(0),
                max_value=left,
                decimal_places=3,
                required=False,
            )
            self.fields[f"restock_{line.pk}"] = forms.BooleanField(
                label=f"{line.name}: back on the shelf", required=False, initial=True
            )

    def rows(self):
        """(line, quantity field, restock field) for the template's table."""
        return [
            (line, self[f"quantity_{line.pk}"], self[f"restock_{line.pk}"]) for line in self.lines
        ]

    def returned(self) -> list[tuple[int, Decimal, bool]]:
        return [
            (line.pk, quantity, self.cleaned_data[f"restock_{line.pk}"])
            for line in self.lines
            if (quantity := self.cleaned_data.get(f"quantity_{line.pk}"))
        ]


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
