"""A discount's reason in the customer's language. The engine writes English and keeps the
template and values it wrote from (promotions.engine.cart.Reason); a receipt keeps them too, so
the same reason reads in German with German numbers. A promotion's name is the manager's, as
entered."""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext

# Values written the language's way: "0,50" and "12,5" in German.
NUMBERS = frozenset({"percent", "amount", "threshold", "price"})


def reason_text(reason: str, template: str = "", values: dict | None = None) -> str:
    """The reason in the active language: from the engine's Reason, or from a stored template
    and values; a reason stored before templates were kept reads as it was written."""
    template = getattr(reason, "template", template)
    values = getattr(reason, "values", values)
    if not template or values is None:
        return str(reason)
    shown = {k: number_format(Decimal(v)) if k in NUMBERS else v for k, v in values.items()}
    return gettext(template) % shown


def stored_reason(reason: str) -> dict:
    """What an order line keeps of a reason: its English text, template and values."""
    return {
        "reason": str(reason),
        "template": getattr(reason, "template", ""),
        "values": getattr(reason, "values", {}),
    }
