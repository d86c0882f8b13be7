import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")
application = get_wsgi_application()

from django.urls import get_resolver  # noqa: E402 - needs the apps loaded above

from grocery.checks import refuse_to_start  # noqa: E402

refuse_to_start()

# What is loaded now lives as long as the process: the apps, and every view the URLconf imports
# (loaded here rather than on the first request). Frozen, the collector stops walking these
# ~150,000 objects in each full collection: one took 100 ms, a stall every request queued behind
# (docs/benchmarks.md, the lookup's p99 at 800 req/s); now it walks only what came after.
get_resolver().url_patterns  # noqa: B018 - imports the views
gc.freeze()
