"""Gunicorn's settings for the web process (Procfile: `gunicorn -c grocery/gunicorn.conf.py`).

Threaded workers: a request that waits on the payment gateway (a slow bank, a 3-D Secure
retrieve, Stripe's retries) holds one thread, not a whole worker, so the rest of the shop keeps
answering. The code is thread-safe: every thread gets its own database connection, and the
gateway client is shared read-only.
"""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
# Without REDIS_URL the cache and the rate-limit counters live in each process's memory, so one
# process serves (its threads give the concurrency): several would each keep serving a product
# changed in another for CACHE_TIMEOUT, and each count their own rate-limit window.
workers = int(os.environ.get("WEB_CONCURRENCY") or ("3" if os.environ.get("REDIS_URL") else "1"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
# The slowest honest request is a charge: STRIPE_TIMEOUT_SECONDS × (1 + retries) plus backoff.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
# Longer than a load balancer keeps an idle connection to us for reuse (deploy/stack.sh's HAProxy
# at most its 60 s `timeout server`, as AWS ALB's idle timeout): with gunicorn's default of 2 s
# the proxy could send a request down a connection we were closing, and a POST (a checkout)
# cannot be retried, so the customer got a dropped connection.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))
accesslog = "-"
control_socket_disable = True
if os.environ.get("LOG_FORMAT") == "json":  # one JSON object a line, like the app's own logs
    access_log_format = (
        '{"time": "%(t)s", "level": "INFO", "logger": "gunicorn.access", '
        '"request_id": "%({x-request-id}i)s", "method": "%(m)s", "path": "%(U)s", '
        '"status": %(s)s, "bytes": "%(B)s", "ms": %(M)s}'
    )
