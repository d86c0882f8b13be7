"""Reads: everything the shop holds about one customer, for them to download (issue 15).

Orders are the receipts the API shows (checkout.selectors.receipt_payload), so the export says
what the receipt says; money is as everywhere in the API (grocery.money.json_money). Nothing
about cards: the card data goes straight to Stripe and never reaches us."""

from axes.models import AccessLog
from django.utils import timezone

from checkout.selectors import customer_records
from customers.models import Customer, PointsEntry
from customers.selectors import points_balance


def get_customer_export(customer: Customer) -> dict:
    user = customer.user
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "account_id": str(user.pk),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "card_number": customer.card_number,
            # The language and the cart token live in cookies on the phone, not with us.
        },
        "points": {
            "balance": points_balance(customer),
            "entries": [
                {
                    "kind": entry.kind,
                    "points": entry.points,
                    "reason": entry.reason,
                    "transaction_id": entry.order.transaction_id if entry.order else None,
                    "created_at": entry.created_at.isoformat(),
                }
                for entry in PointsEntry.objects.filter(customer=customer).select_related("order")
            ],
        },
        **customer_records(customer),
        "sign_ins": [
            {
                "at": log.attempt_time.isoformat(),
                "signed_out_at": log.logout_time.isoformat() if log.logout_time else None,
                "ip_address": log.ip_address,
                "user_agent": log.user_agent,
            }
            for log in AccessLog.objects.filter(username__iexact=user.email).order_by(
                "-attempt_time"
            )
        ],
    }
