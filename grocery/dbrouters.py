"""Where a query goes when a streaming replica is configured (DATABASE_REPLICA_URL).

Only product and promotion reads (the catalog and promotions apps) of a customer's GET may go to
the replica: they are the hot path of a scan and a second or so of replication lag there is
harmless (the product cache is already that stale). Every write, every checkout, cart and
payment read, every task and every request from staff (a session cookie, an API token, the
admin) reads the primary, so a staff member always reads back their own writes.
"""

from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
REPLICA_APPS = frozenset({"catalog", "promotions"})

# Off unless ReplicaReadsMiddleware turns it on for a customer's GET: tasks, management
# commands and the shell never read a possibly stale copy.
_replica_allowed: ContextVar[bool] = ContextVar("replica_allowed", default=False)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label in REPLICA_APPS and _replica_allowed.get():
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, copied: rows from either side may relate

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the replica gets its schema through replication


def _from_staff(request) -> bool:
    """Anyone who signs in works on the shop's data: a session, an API token, the admin."""
    return (
        "HTTP_AUTHORIZATION" in request.META
        or request.path_info.startswith("/admin/")
        or bool(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    )


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        allowed = request.method in ("GET", "HEAD") and not _from_staff(request)
        token = _replica_allowed.set(allowed)
        try:
            return self.get_response(request)
        finally:
            _replica_allowed.reset(token)
