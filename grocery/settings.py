"""One settings module; every knob comes from the environment (12-factor).

Unset, everything runs embedded: SQLite under var/, a local-memory cache and Celery's filesystem
broker. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis without a code change.
"""

from decimal import Decimal
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, WASM_UNSAFE_EVAL
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# The development default is only ever used with DEBUG on; production must bring its own.
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
CURRENCY = env("CURRENCY", default="EUR")
# Region rules for the variable-measure EAN-13 codes that the shop's own scales print.
RCN_REGION = env("RCN_REGION", default="de")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "catalog",
    "promotions",
    "checkout",
    "customers",
    "recommendations",  # reads the orders of checkout
    "frontend",
    "shop",  # after the domain apps: it reads all of them
    "axes",  # last, as its docs ask: it wraps the authentication of the apps above
]

MIDDLEWARE = [
    "grocery.observability.RequestIdMiddleware",  # first: every log line below carries the id
    "grocery.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # First after security: bad input (NUL bytes, oversized API bodies) is refused before any
    # other middleware reads it, and API errors from anywhere below leave as JSON.
    "grocery.middleware.RequestGuardMiddleware",
    "frontend.security.SecurityHeadersMiddleware",  # CSP with nonces, Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switch's cookie, else the browser's Accept-Language (frontend/i18n.py).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "grocery.dbrouters.ReplicaReadsMiddleware",  # customers' GETs may read products from a replica
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out login into its refusal page
]

ROOT_URLCONF = "grocery.urls"
WSGI_APPLICATION = "grocery.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while a writer commits; IMMEDIATE takes the write lock up front so
    # two writers queue instead of failing with "database is locked" half-way through.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Seconds a new connection keeps trying a database that refuses it (a restarting primary).
DB_CONNECT_RETRY_SECONDS = env.float("DB_CONNECT_RETRY_SECONDS", default=0)
if DB_CONNECT_RETRY_SECONDS and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["ENGINE"] = "grocery.postgresql"
# A streaming replica for product and promotion reads (grocery/dbrouters.py). Its connection
# lists the replica's host, then the primary's: should the replica be down, libpq connects to
# the primary instead and the reads go on.
if env("DATABASE_REPLICA_URL", default=""):
    primary = DATABASES["default"]
    replica = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"] = {
        **primary,
        **replica,
        "HOST": f"{replica['HOST']},{primary['HOST']}",
        "PORT": f"{replica['PORT']},{primary['PORT']}",
        "OPTIONS": {**replica.get("OPTIONS", {}), "connect_timeout": 2},
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["grocery.dbrouters.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Without Redis every process (each web process, the Celery worker) has its own memory cache, and a
# change made in one reaches the others only when their copy expires: keep that short there.
CACHE_TIMEOUT = env.int("CACHE_TIMEOUT", default=3600 if REDIS_URL else 60)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": CACHE_TIMEOUT,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="grocery"),
            "OPTIONS": {
                # grocery.cache catches outages itself (with a circuit breaker), so that a
                # Redis outage is a cache miss, logged once, and costs one timeout, not one per call.
                "IGNORE_EXCEPTIONS": False,
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.1),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.2),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "TIMEOUT": CACHE_TIMEOUT,
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
# How long /readyz waits for the cache and for the broker (side by side) before calling them down.
READYZ_CHECK_SECONDS = env.float("READYZ_CHECK_SECONDS", default=1.0)
# How long the cache stays bypassed after an error before it is tried again.
CACHE_RETRY_SECONDS = env.float("CACHE_RETRY_SECONDS", default=5.0)
# How long a changed product is read from the database before the cache may hold it again.
CACHE_FORGET_SECONDS = env.int("CACHE_FORGET_SECONDS", default=2)
# Each process keeps product bodies (and the promotions version token) in memory in front of
# Redis, dropped the moment Redis reports a change (grocery.local_cache). Needs Redis >= 6.
LOCAL_CACHE = env.bool("LOCAL_CACHE", default=bool(REDIS_URL))
# Its bound, per process: about 750 bytes per product body with its bookkeeping.
LOCAL_CACHE_BYTES = env.int("LOCAL_CACHE_BYTES", default=32 * 1024 * 1024)

# --- Celery ---------------------------------------------------------------------------------
CELERY_FS_ROOT = VAR_DIR / "celery"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = env(
    "CELERY_RESULT_BACKEND", default=REDIS_URL or f"file://{CELERY_FS_ROOT / 'results'}"
)
# A Redis that accepts connections but never answers must not hang a web request: every
# socket to it has a timeout, and sending a task is tried once (enqueue_on_commit logs a
# failure; reconciliation catches up). The worker reconnects on its own (broker_connection_retry).
REDIS_BROKER_TIMEOUT = env.float("REDIS_BROKER_TIMEOUT", default=0.5)
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": REDIS_BROKER_TIMEOUT,
    "socket_timeout": REDIS_BROKER_TIMEOUT,
    "retry_on_timeout": False,
    "max_retries": 0,  # connecting to publish: once, no retry loop inside a request
    # A task taken by a worker that then died (acks late) is handed out again after this long.
    "visibility_timeout": env.int("REDIS_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_BROKER_TRANSPORT_OPTIONS = (
    REDIS_BROKER_TRANSPORT_OPTIONS
    if REDIS_URL
    else {
        # One folder for in and out, and an absolute control folder, so that every process
        # (web, worker, beat) sees the same queue whatever its working directory.
        "data_folder_in": str(CELERY_FS_ROOT / "queue"),
        "data_folder_out": str(CELERY_FS_ROOT / "queue"),
        "control_folder": str(CELERY_FS_ROOT / "control"),
        "processed_folder": str(CELERY_FS_ROOT / "processed"),
        "store_processed": False,
    }
)
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_BROKER_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat outlive a Redis restart: they reconnect for ever (grocery.celery lifts the
# one-try limit above for them); a request still tries once.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Payments before everything else: with PAYMENTS_QUEUE set, checkout tasks go to that queue and
# a worker of their own (`-Q payments`) takes them, so a long catalog import or a stock-alert
# run never delays a reconciliation. Unset (the Procfile's one worker): one default queue.
PAYMENTS_QUEUE = env("PAYMENTS_QUEUE", default="")
CELERY_TASK_ROUTES = {"checkout.tasks.*": {"queue": PAYMENTS_QUEUE}} if PAYMENTS_QUEUE else {}
CELERY_TASK_PUBLISH_RETRY_POLICY = {  # for callers that publish with retry=True (.delay)
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# The Redis result backend subscribes when a task is sent: the same bounds there.
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_BROKER_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_BROKER_TIMEOUT
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for the next one
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING: same format, request ids
# Every periodic task, in one place; the intervals are settings of the apps that own the tasks.
CELERY_BEAT_SCHEDULE = {
    "reconcile-payments": {
        "task": "checkout.tasks.reconcile_payments_task",
        "schedule": env.float("RECONCILE_EVERY_SECONDS", default=120.0),
    },
    "delete-abandoned-carts": {
        "task": "checkout.tasks.delete_abandoned_carts_task",
        "schedule": env.float("ABANDONED_CARTS_EVERY_SECONDS", default=3600.0),
    },
    "stock-alerts": {
        "task": "catalog.tasks.send_stock_alerts_task",
        "schedule": env.float("STOCK_ALERT_EVERY_SECONDS", default=900.0),
    },
    "expire-points": {
        "task": "customers.tasks.expire_points_task",
        "schedule": env.float("POINTS_EXPIRY_EVERY_SECONDS", default=86_400.0),
    },
    "recompute-bought-together": {
        "task": "recommendations.tasks.recompute_bought_together_task",
        "schedule": env.float("RECOMMENDATIONS_EVERY_SECONDS", default=3600.0),
    },
}

# --- Auth, i18n, static -----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # Refuses any login, right password or not, while that account is locked out from there.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin login lockout (django-axes, attempts in the database so a restart forgets nothing).
# Counted per username and address together: a shop's staff share one Wi-Fi address, and a
# guesser must not be able to lock a manager out from elsewhere by typing their name.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_COOLOFF_MESSAGE = (
    "This account is locked after too many failed logins. Try again in "
    f"{round(AXES_COOLOFF_TIME * 60)} minutes, or ask an administrator to unlock it."
)
AXES_CLIENT_IP_CALLABLE = "grocery.throttles.client_address"  # the throttles' idea of it
# How long a staff API token (a door scanner, a stock-count device) works before a new one is due.
TOKEN_TTL_HOURS = env.int("TOKEN_TTL_HOURS", default=7 * 24)
# A signed-in admin is signed out after a working day.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=9 * 3600)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-gb"
# The customer app, receipts, emails and the admin speak these; the catalogues are in locale/
# (.po edited, .mo committed: `manage.py compile_translations`, a test keeps them in step).
LANGUAGES = [("en-gb", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Tests run without collectstatic; the manifest is only required when serving for real.
WHITENOISE_MANIFEST_STRICT = False

# --- API ------------------------------------------------------------------------------------
# Larger API bodies get a JSON 413 (grocery/middleware.py). The biggest real one is a checkout
# of 200 lines, about 15 kB, and Stripe's events are tens of kB; the admin's forms are small and
# its CSV upload is a file, which this does not count.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "grocery.authentication.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["grocery.parsers.JSONParser"],  # with a nesting limit
    "DEFAULT_SCHEMA_CLASS": "grocery.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "grocery.errors.json_exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
    # grocery/throttles.py. Per customer (signed-in user, else cart token, else address):
    # scanning is at most a product every second or two, a quote follows each change, and a
    # checkout is paid once (retries and 3-D Secure confirmations included).
    # The per-address ceiling covers a whole shop behind one Wi-Fi address: 200 customers at a
    # peak of 30 throttled calls a minute each (a scan every 2 s and its quote) is 6,000/min;
    # twice that leaves room for a crowd. The checkout benchmark (100+ checkouts/s from one
    # address, no cart tokens) raises the checkout and address rates (bench/checkout.py).
    "DEFAULT_THROTTLE_RATES": {
        "cart": env("THROTTLE_CART_RATE", default="120/min"),
        "quote": env("THROTTLE_QUOTE_RATE", default="120/min"),
        "checkout": env("THROTTLE_CHECKOUT_RATE", default="20/min"),
        "address": env("THROTTLE_ADDRESS_RATE", default="12000/min"),
        # Sign-in, sign-up and password reset, per address: enough for a family on one phone,
        # too few to guess passwords (axes locks an account after AXES_FAILURE_LIMIT as well).
        "account": env("THROTTLE_ACCOUNT_RATE", default="10/min"),
    },
    # The app runs behind one reverse proxy (README): the client's address is the last one in
    # X-Forwarded-For, the one our proxy appended; earlier entries are the client's to forge.
    # Without the header it is REMOTE_ADDR. Set 0 when clients connect directly.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=1),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Grocery scan-and-go API",
    "DESCRIPTION": "Product lookup, cart, checkout, promotions and inventory for one shop.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for a choice set that several fields share (e.g. the readiness checks).
    "ENUM_NAME_OVERRIDES": {
        "ServiceStateEnum": ["ok", "down"],
        "CheckoutStatusEnum": "checkout.schema.CHECKOUT_STATUSES",
        "ProductCodeKindEnum": ["gtin", "plu"],
        "PromotionKindEnum": "promotions.models.Kind",
    },
}

# --- Business settings ------------------------------------------------------------------------
MAX_ACTIVE_PROMOTIONS = env.int("MAX_ACTIVE_PROMOTIONS", default=5)
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="simulated")  # simulated | stripe
# With DEBUG off the simulated gateway is refused at start-up unless a demo says so (grocery.checks).
ALLOW_SIMULATED_PAYMENTS = env.bool("ALLOW_SIMULATED_PAYMENTS", default=False)
# Secrets have no real default: empty means unset, and grocery.checks refuses to serve with the
# Stripe gateway and DEBUG off until all three are set.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")  # tests point this at a local fake
# Where the PWA loads Stripe.js from; its origin is allowed by the CSP when the gateway is Stripe.
STRIPE_JS_URL = env("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
LABEL_COLUMNS = env.int("LABEL_COLUMNS", default=3)
LABEL_ROWS = env.int("LABEL_ROWS", default=8)

# --- Email (stock alerts to managers) ----------------------------------------------------------
# The console by default; SMTP when EMAIL_BACKEND says so.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="shop@localhost")

# --- Production security (on whenever DEBUG is off) ------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "grocery.observability.JsonFormatter"},
    },
    "filters": {"request_id": {"()": "grocery.observability.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", default="plain"),  # json: one object a line
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# How long a web process trusts its memo of the running promotions for product responses before
# asking the cache whether they changed (checkout always asks). Validity windows are exact anyway.
PROMOTIONS_MEMO_SECONDS = env.float("PROMOTIONS_MEMO_SECONDS", default=1.0)


# --- Checkout ---------------------------------------------------------------------------------
PAYMENT_METHODS = env.list("PAYMENT_METHODS", default=["credit_card", "debit_card", "card"])
# VAT rates in percent per tax class (grocery/tax.py); shelf prices include VAT. Germany's by
# default: "standard=19,reduced=7,zero=0".
VAT_RATES = {
    name: Decimal(rate)
    for name, rate in env.dict(
        "VAT_RATES", default={"standard": "19", "reduced": "7", "zero": "0"}
    ).items()
}
if set(VAT_RATES) != {"standard", "reduced", "zero"} or any(
    not rate.is_finite() or not 0 <= rate < 100 for rate in VAT_RATES.values()
):
    raise ImproperlyConfigured("VAT_RATES needs standard, reduced and zero, each 0 to 99 (%).")
# Deposit-return vouchers printed by the shop's reverse vending machine: EAN-13 in the in-store
# range. The layout names each digit: P prefix, S store, N serial, A amount in cents, C check.
VOUCHER_PREFIX = env("VOUCHER_PREFIX", default="29")
VOUCHER_STORE = env("VOUCHER_STORE", default="01")
VOUCHER_LAYOUT = env("VOUCHER_LAYOUT", default="PPSSNNNNAAAAC")
if (
    len(VOUCHER_LAYOUT) != 13
    or set(VOUCHER_LAYOUT) - set("PSNAC")
    or VOUCHER_LAYOUT[-1] != "C"
    or VOUCHER_LAYOUT.count("P") != len(VOUCHER_PREFIX)
    or VOUCHER_LAYOUT.count("S") != len(VOUCHER_STORE)
    or "A" not in VOUCHER_LAYOUT
):
    raise ImproperlyConfigured(
        "VOUCHER_LAYOUT: 13 letters of P, S, N, A ending in C, as many P as VOUCHER_PREFIX "
        "has digits and as many S as VOUCHER_STORE."
    )
CHECKOUT_TOTAL_TOLERANCE = Decimal("0.005")  # a claimed total more than half a cent off is refused
CART_COOKIE_MAX_AGE = env.int("CART_COOKIE_MAX_AGE", default=30 * 86_400)
EXIT_CODE_VALID_HOURS = env.int("EXIT_CODE_VALID_HOURS", default=24)
# The home store's code (catalog.stores): the store a request naming none is in. Exit codes
# carry the store they were paid in: another store's gate refuses them.
STORE_ID = env("STORE_ID", default="1")
SIMULATED_SLOW_SECONDS = env.float("SIMULATED_SLOW_SECONDS", default=3.0)
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_MAX_RETRIES = env.int("STRIPE_MAX_RETRIES", default=2)
STRIPE_RETRY_BASE_SECONDS = env.float("STRIPE_RETRY_BASE_SECONDS", default=0.5)
RECONCILE_AFTER_SECONDS = env.int("RECONCILE_AFTER_SECONDS", default=300)
# A charge that got no answer is settled this soon by its own task (the periodic pass is the net).
RECONCILE_UNANSWERED_SECONDS = env.float("RECONCILE_UNANSWERED_SECONDS", default=15.0)
# How long stock stays held for a customer who must authenticate (3-D Secure); reconciliation then
# cancels the payment and gives the stock back. A payment the gateway is still processing is
# given RECONCILE_ABANDON_SECONDS instead.
PAYMENT_HOLD_MINUTES = env.int("PAYMENT_HOLD_MINUTES", default=10)
RECONCILE_ABANDON_SECONDS = env.int("RECONCILE_ABANDON_SECONDS", default=1800)
RECONCILE_LOOKBACK_SECONDS = env.int("RECONCILE_LOOKBACK_SECONDS", default=86_400)

# --- Customers and loyalty (customers/) ------------------------------------------------------
# A customer's session lasts this long on their phone (staff keep SESSION_COOKIE_AGE).
CUSTOMER_SESSION_AGE = env.int("CUSTOMER_SESSION_AGE", default=90 * 86_400)
# Loyalty card numbers: EAN-13 in the in-store range, apart from the vouchers' prefix.
LOYALTY_CARD_PREFIX = env("LOYALTY_CARD_PREFIX", default="28")
# Points earned per whole unit of currency paid for goods (deposits and vouchers earn nothing),
# what one point is worth when redeemed, and how long an earned point lasts.
LOYALTY_POINTS_PER_UNIT = Decimal(env("LOYALTY_POINTS_PER_UNIT", default="1"))
LOYALTY_POINT_VALUE = Decimal(env("LOYALTY_POINT_VALUE", default="0.01"))
LOYALTY_POINTS_EXPIRE_DAYS = env.int("LOYALTY_POINTS_EXPIRE_DAYS", default=365)
if (
    len(LOYALTY_CARD_PREFIX) not in (2, 3)
    or not LOYALTY_CARD_PREFIX.isdigit()
    or LOYALTY_CARD_PREFIX.startswith(VOUCHER_PREFIX)
    or VOUCHER_PREFIX.startswith(LOYALTY_CARD_PREFIX)
    or not LOYALTY_POINTS_PER_UNIT >= 0
    or not LOYALTY_POINT_VALUE > 0
):
    raise ImproperlyConfigured(
        "LOYALTY_CARD_PREFIX: 2 or 3 digits, not the vouchers' prefix; "
        "LOYALTY_POINTS_PER_UNIT >= 0; LOYALTY_POINT_VALUE > 0."
    )

# --- Recommendations (recommendations/) --------------------------------------------------------
# "Often bought together" keeps pairs held by at least this many paid orders (absolute support):
# below it, a lift is one shopper's coincidence.
RECOMMENDATIONS_MIN_ORDERS = env.int("RECOMMENDATIONS_MIN_ORDERS", default=3)
# Kept per product in the table: more than shown, so that what is out of stock or not listed in
# a store can be skipped and still leave enough.
RECOMMENDATIONS_KEPT = env.int("RECOMMENDATIONS_KEPT", default=10)
RECOMMENDATIONS_SHOWN = env.int("RECOMMENDATIONS_SHOWN", default=5)
# How long a web process serves a product's list from its own memory (no cache round trip).
RECOMMENDATIONS_MEMO_SECONDS = env.float("RECOMMENDATIONS_MEMO_SECONDS", default=60.0)
# "Your usual items": products in at least this many of the customer's paid orders.
RECOMMENDATIONS_USUAL_MIN_ORDERS = env.int("RECOMMENDATIONS_USUAL_MIN_ORDERS", default=2)


# --- Stock policy -------------------------------------------------------------------------------
# record: sell whatever the customer holds (it is already in their hand), take it from stock even
# below zero and ask staff to count the product. reserve: refuse beyond recorded stock (409).
STOCK_POLICIES = ("record", "reserve")
STOCK_POLICY = env("STOCK_POLICY", default="record")
if STOCK_POLICY not in STOCK_POLICIES:
    raise ImproperlyConfigured(
        f"STOCK_POLICY must be one of {', '.join(STOCK_POLICIES)}, not {STOCK_POLICY!r}."
    )
# The most one line may hold, under either policy: more than a person carries is a mistake.
MAX_LINE_QUANTITY = env.int("MAX_LINE_QUANTITY", default=50)  # items sold each
MAX_LINE_KG = Decimal(env("MAX_LINE_KG", default="25"))  # goods sold by weight
if MAX_LINE_QUANTITY < 1 or not MAX_LINE_KG.is_finite() or MAX_LINE_KG <= 0:
    raise ImproperlyConfigured("MAX_LINE_QUANTITY and MAX_LINE_KG must be positive numbers.")

# --- Manager portal (catalog admin) -----------------------------------------------------------
# CSV imports up to this many rows run in the request; larger ones in a Celery worker.
CATALOG_IMPORT_INLINE_ROWS = env.int("CATALOG_IMPORT_INLINE_ROWS", default=2_000)

# --- Browser security: Content-Security-Policy, violation reports -----------------------------
# The PWA's policy; frontend.security adds Stripe's origins when that gateway is on, and inline
# styles for the admin and Swagger UI only. Scripts run from our origin or with the page's nonce;
# 'wasm-unsafe-eval' lets the scanner compile its WebAssembly decoder (and nothing else).
CSP_REPORT_URL = "/api/csp-reports"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, WASM_UNSAFE_EVAL],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "font-src": [SELF],
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "frame-src": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": [CSP_REPORT_URL],
    }
}
# Also name the Reporting API endpoint (report-to + Reporting-Endpoints). Off by default: Chromium
# then ignores report-uri and batches reports for a minute or more (on http://localhost it never
# sent them in our tests), while report-uri is sent at once by every browser.
CSP_REPORTING_API = env.bool("CSP_REPORTING_API", default=False)
# Distinct violations kept for the dashboard; beyond this, new kinds are dropped (counts of the
# known ones still go up), so a flood of junk reports cannot fill the database.
CSP_REPORTS_MAX_ROWS = env.int("CSP_REPORTS_MAX_ROWS", default=500)
CSP_REPORTS_RATE = env("CSP_REPORTS_RATE", default="60/min")  # per client IP
