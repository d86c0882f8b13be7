"""Django's PostgreSQL backend that waits for a restarting server instead of failing at once.

A primary restart (a minor upgrade, a failover) refuses connections for a second or two; every
request that needed a new connection then would be a 500. This backend keeps trying for
DB_CONNECT_RETRY_SECONDS, so those requests are late, not lost. (Settings use it only when that
is above 0.)
"""

import logging
import time

from django.conf import settings
from django.db.backends.postgresql import base

logger = logging.getLogger(__name__)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        deadline = time.monotonic() + settings.DB_CONNECT_RETRY_SECONDS
        while True:
            try:
                return super().get_new_connection(conn_params)
            except base.Database.OperationalError as exc:
                if time.monotonic() >= deadline:
                    raise
                logger.warning("Database %s refused a connection, retrying: %s", self.alias, exc)
                time.sleep(0.25)
