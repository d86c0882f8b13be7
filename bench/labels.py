"""Time the shelf-label PDF: 1,000 labels from the database, as the admin action renders them.

    DATABASE_URL=... .venv/bin/python bench/labels.py [--labels 1000]
Seeds the demo catalog if it has fewer products than asked for; prints seconds, pages and size.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")

import django  # noqa: E402

django.setup()

from catalog.demo import seed_catalog  # noqa: E402
from catalog.labels import render_labels_for  # noqa: E402
from catalog.models import Product, get_home_store  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if Product.objects.count() < args.labels:
        seed_catalog(args.labels)
    ids = list(Product.objects.order_by("product_id").values_list("pk", flat=True)[: args.labels])
    times, cpu = [], []
    for _ in range(args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        pdf = render_labels_for(Product.objects.filter(pk__in=ids), store=get_home_store()).pdf
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)  # what the work costs on a quiet machine
    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
    print(
        f"labels={len(ids)} runs={args.runs} wall best={min(times):.2f}s worst={max(times):.2f}s "
        f"cpu best={min(cpu):.2f}s "
        f"size={len(pdf) / 1e6:.2f}MB pages~{pages}"
    )


if __name__ == "__main__":
    main()
