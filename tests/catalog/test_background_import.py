"""A large CSV import runs in a real Celery worker; the admin page polls its progress."""

import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import CatalogImport, Product
from tests.factories import make_category


@pytest.mark.postgres
@pytest.mark.redis
def test_large_import_runs_in_the_worker_with_progress(
    transactional_db, celery_worker_factory, manager_client, settings
):
    settings.CATALOG_IMPORT_INLINE_ROWS = 100
    celery_worker_factory()
    make_category("Pantry")
    client = manager_client
    lines = ["product_id,name,category,price,stock"]
    lines += [f"Q{i:05d},Jar {i},Pantry,2.{i % 100:02d},{i % 9}" for i in range(3_000)]
    response = client.post(
        "/admin/catalog/product/import/",
        {"file": SimpleUploadedFile("big.csv", ("\n".join(lines) + "\n").encode())},
    )
    assert response.status_code == 302
    record = CatalogImport.objects.get()
    page = client.get(response["Location"])
    assert b'<progress id="import-bar"' in page.content  # queued: the page shows a progress bar

    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        progress = client.get(f"/admin/catalog/catalogimport/{record.pk}/progress/").json()
        seen.append(progress)
        if progress["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert seen[-1] == {"status": "done", "done": 3_000, "total": 3_000, "phase": "finished"}
    record.refresh_from_db()
    assert (record.status, record.created) == ("done", 3_000)
    assert Product.objects.count() == 3_000
    assert Product.objects.get(product_id="Q02999").price == Decimal("2.99")
    page = client.get(f"/admin/catalog/catalogimport/{record.pk}/change/")
    assert b"3000 new, 0 updated" in page.content
