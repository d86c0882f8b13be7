"""Time a catalog CSV import of N rows (half new products, half updates with stock changes).

    DATABASE_URL=... .venv/bin/python bench/catalog_import.py [--rows 10000]
Runs the same service as the admin upload (validation + one all-or-nothing transaction), then
deletes the products it made.
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

from decimal import Decimal  # noqa: E402

from catalog.imports.csv_format import export_rows  # noqa: E402
from catalog.imports.runner import import_catalog  # noqa: E402
from catalog.models import Category, Product  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    Product.objects.filter(product_id__startswith="BENCH").delete()
    Product.objects.bulk_create(
        Product(
            product_id=f"BENCH{i:06d}",
            name=f"Old {i}",
            category=category,
            price=Decimal("1.00"),
            stock=Decimal(5),
        )
        for i in range(0, args.rows, 2)
    )
    lines = ["product_id,name,category,price,stock,reorder_level,active"]
    lines += [
        f"BENCH{i:06d},Bench item {i},bench,{1 + i % 50}.25,{i % 40},5,yes"
        for i in range(args.rows)
    ]
    text = "\n".join(lines) + "\n"
    started = time.perf_counter()
    result = import_catalog(text, note="bench")
    took = time.perf_counter() - started
    print(
        f"import rows={result.rows} created={result.created} updated={result.updated} "
        f"seconds={took:.2f} rows_per_s={result.rows / took:.0f}"
    )
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in export_rows(Product.objects.all()))
    print(
        f"export products={Product.objects.count()} bytes={size} "
        f"seconds={time.perf_counter() - started:.2f}"
    )
    Product.objects.filter(product_id__startswith="BENCH").delete()


if __name__ == "__main__":
    main()
