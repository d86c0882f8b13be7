"""The app's own settings with one change: the bench urlconf, which adds the ceiling view.

Only bench/product_lookup.py selects this module (DJANGO_SETTINGS_MODULE=bench.settings), so
the ceiling is never a public endpoint of the real app.
"""

from grocery.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
