"""Running an uploaded import: validate, then write all or nothing; small files in the request,
large ones in a Celery worker (catalog.tasks), with progress in the cache for the admin page."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from catalog.imports.csv_format import ImportRejected, parse
from catalog.imports.validation import validate
from catalog.models import CatalogImport
from catalog.services import ProductRow, import_products
from grocery.cache import cache_delete, cache_get, cache_set
from grocery.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def import_catalog(
    text: str,
    *,
    user=None,
    note: str = "",
    progress: Callable[[int, int], None] = lambda d, t: None,
) -> ImportResult:
    """Validate the whole CSV text, then write all of it or nothing. Raises ImportRejected."""
    _, rows = parse(text)
    if not rows:
        raise ImportRejected([{"line": 2, "message": "The file has a header but no products."}])
    errors = validate(rows, progress)
    if errors:
        raise ImportRejected(errors, rows=len(rows))
    progress(len(rows), len(rows))
    checked = [
        ProductRow(
            product_id=row.values.get("product_id", ""),
            product=row.product,
            data=row.data,
            stock=row.stock,
            codes=row.codes,
        )
        for row in rows
    ]
    try:
        counts = import_products(checked, user=user, note=note)
    except IntegrityError as exc:  # e.g. two products swapping codes within one file
        logger.warning("Catalog import rejected by the database: %s", exc)
        raise ImportRejected(
            [{"line": 0, "message": f"The database refused the import: {exc}"}]
        ) from exc
    return ImportResult(
        rows=len(rows),
        created=counts.created,
        updated=counts.updated,
        unchanged=len(rows) - counts.created - counts.updated,
    )


def progress_key(import_id: int) -> str:
    return f"catalog-import:{import_id}:progress"


def get_progress(catalog_import: CatalogImport) -> dict:
    """What the admin's progress bar shows; the running import reports through the cache."""
    if catalog_import.finished:
        return {
            "status": catalog_import.status,
            "done": catalog_import.rows,
            "total": catalog_import.rows,
            "phase": "finished",
        }
    found = cache_get(progress_key(catalog_import.pk)) or {}
    return {
        "status": catalog_import.status,
        "done": found.get("done", 0),
        "total": found.get("total", 0),
        "phase": found.get("phase", "waiting"),
    }


def run_catalog_import(import_id: int) -> CatalogImport:
    """Run a queued import (in the request for small files, in a Celery worker for large ones).

    Safe to run twice: only a queued import is claimed, by a conditional update.
    """
    claimed = CatalogImport.objects.filter(pk=import_id, status=CatalogImport.Status.QUEUED)
    if not claimed.update(status=CatalogImport.Status.RUNNING):
        return CatalogImport.objects.get(pk=import_id)
    catalog_import = CatalogImport.objects.select_related("user").get(pk=import_id)
    key = progress_key(import_id)

    def report(done: int, total: int, phase: str = "checking") -> None:
        cache_set(key, {"done": done, "total": total, "phase": phase}, timeout=3600)

    def checked(done: int, total: int) -> None:
        report(done, total, "checking" if done < total else "writing")

    try:
        result = import_catalog(
            catalog_import.source,
            user=catalog_import.user,
            note=f"import {catalog_import.pk}: {catalog_import.file_name}"[:200],
            progress=checked,
        )
    except ImportRejected as exc:
        catalog_import.status = CatalogImport.Status.FAILED
        catalog_import.errors = exc.errors
        catalog_import.rows = exc.rows
    else:
        catalog_import.status = CatalogImport.Status.DONE
        catalog_import.rows = result.rows
        catalog_import.created = result.created
        catalog_import.updated = result.updated
        catalog_import.unchanged = result.unchanged
    catalog_import.source = ""  # the products hold the data now; the upload is not kept
    catalog_import.finished_at = timezone.now()
    catalog_import.save(
        update_fields=[
            "status",
            "errors",
            "rows",
            "created",
            "updated",
            "unchanged",
            "source",
            "finished_at",
        ]
    )
    cache_delete(key)
    return catalog_import


def count_rows(text: str) -> int:
    return max(text.count("\n") - 1, 0)


def start_catalog_import(*, file_name: str, text: str, user) -> CatalogImport:
    """Record an upload and import it: now when small, else in the background (Celery)."""
    catalog_import = CatalogImport.objects.create(file_name=file_name[:200], source=text, user=user)
    if count_rows(text) <= settings.CATALOG_IMPORT_INLINE_ROWS:
        return run_catalog_import(catalog_import.pk)
    enqueue_on_commit(
        "catalog.tasks.run_catalog_import_task",
        catalog_import.pk,
        when_not_sent=lambda: _fail_unqueued(catalog_import),
    )
    return catalog_import


def _fail_unqueued(catalog_import: CatalogImport) -> None:
    """The broker is down: say so on the import page instead of a 500."""
    CatalogImport.objects.filter(pk=catalog_import.pk, status=CatalogImport.Status.QUEUED).update(
        status=CatalogImport.Status.FAILED,
        source="",
        finished_at=timezone.now(),
        errors=[
            {
                "line": 0,
                "message": "The background worker could not be reached. Nothing "
                "was imported; try again in a few minutes.",
            }
        ],
    )
