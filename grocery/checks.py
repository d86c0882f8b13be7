"""System checks of the project's own settings, also enforced when a server or worker starts.

Registered (by checkout's AppConfig) as ordinary checks, so they run on `check`, `check --deploy`,
`migrate` and `runserver`; grocery.wsgi (gunicorn) and the Celery worker refuse to start on them.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

STRIPE_SETTINGS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")


def payment_gateway_errors(app_configs=None, **kwargs) -> list[checks.Error]:
    """With DEBUG off the shop takes real money: Stripe, fully configured, unless a demo says
    ALLOW_SIMULATED_PAYMENTS=1 out loud."""
    if settings.DEBUG:
        return []
    gateway = settings.PAYMENT_GATEWAY
    if gateway == "stripe":
        missing = [name for name in STRIPE_SETTINGS if not getattr(settings, name)]
        if not missing:
            return []
        return [
            checks.Error(
                f"PAYMENT_GATEWAY is 'stripe' but {', '.join(missing)} not set.",
                hint="Set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET "
                "from the Stripe dashboard.",
                id="grocery.E001",
            )
        ]
    if gateway == "simulated" and settings.ALLOW_SIMULATED_PAYMENTS:
        return []
    return [
        checks.Error(
            f"PAYMENT_GATEWAY is {gateway!r} with DEBUG off: production must take real payments.",
            hint="Set PAYMENT_GATEWAY=stripe with STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and "
            "STRIPE_WEBHOOK_SECRET; or, for a demo where no money moves, "
            "PAYMENT_GATEWAY=simulated with ALLOW_SIMULATED_PAYMENTS=1.",
            id="grocery.E002",
        )
    ]


def register() -> None:
    checks.register(payment_gateway_errors, checks.Tags.security)


def refuse_to_start() -> None:
    """For processes that run no system checks of their own (gunicorn, Celery)."""
    errors = payment_gateway_errors()
    if errors:
        raise ImproperlyConfigured("\n".join(f"{e.msg} {e.hint}" for e in errors))
