"""Catalog CSV export and import.

The import is all or nothing: every row is validated first and any error (reported by line
number) rejects the whole file; only a clean file is written, in one transaction. Products are
matched by product_id, or by GTIN when the row has no product_id. A column left out of the file,
or an empty cell, leaves that field unchanged; stock goes through the stock service (audited).
"""

import csv
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.gtin import InvalidGtin, normalize_gtin
from catalog.models import (
    CatalogImport,
    Category,
    Product,
    StockMovement,
    Unit,
    price_per_kg,
    quantity_fits_unit,
)
from catalog.selectors import forget_products
from catalog.services import set_stock_levels
from grocery.cache import cache_delete, cache_get, cache_set
from grocery.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

COLUMNS = [
    "product_id",
    "gtin",
    "name",
    "description",
    "category",
    "price",
    "unit",
    "stock",
    "reorder_level",
    "active",
]
# Exported for comparing prices across units (Unit's price_per_kg); an import accepts the column
# and ignores it, because the price and unit are what is stored.
DERIVED_COLUMNS = ["price_per_kg"]
DATA_FIELDS = (
    "gtin",
    "name",
    "description",
    "category_id",
    "price",
    "unit",
    "reorder_level",
    "is_active",
)
REQUIRED_FOR_NEW = ("name", "category", "price")
TRUE, FALSE = {"1", "true", "yes", "y", "ja"}, {"0", "false", "no", "n", "nee"}
MAX_ERRORS = 500  # a file that is wrong everywhere needs no 10,000 messages
PROGRESS_EVERY = 500


class ImportRejected(Exception):
    def __init__(self, errors: list[dict], rows: int = 0):
        self.errors = errors
        self.rows = rows  # how many product rows the file had, when it got that far
        super().__init__(f"{len(errors)} error(s)")


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)


# --- export ----------------------------------------------------------------------------------
class _Echo:
    def write(self, value):
        return value


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection: OWASP).
# The export puts a quote in front, which spreadsheets show as text and hide; the import takes
# one quote off again. Cells that already start with quotes before such a character get one
# more, so every name survives the round trip exactly.
FORMULA = re.compile(r"'*[=+\-@\t\r]")


def escape_formula(text: str) -> str:
    return "'" + text if FORMULA.match(text) else text


def unescape_formula(text: str) -> str:
    return text[1:] if text.startswith("'") and FORMULA.match(text) else text


def export_rows(queryset) -> Iterator[str]:
    """CSV lines for a streaming response: header first, then products in batches."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(COLUMNS + DERIVED_COLUMNS)  # the BOM makes Excel read UTF-8
    rows = (
        queryset.select_related(None)
        .order_by("product_id")
        .values_list(
            "product_id",
            "gtin",
            "name",
            "description",
            "category__name",
            "price",
            "unit",
            "stock",
            "reorder_level",
            "is_active",
        )
    )
    for pid, gtin, name, desc, cat, price, unit, stock, reorder, active in rows.iterator(2000):
        yield writer.writerow(
            [
                *map(escape_formula, (pid, gtin or "", name, desc, cat)),
                price,  # numbers we write ourselves, never escaped
                unit,
                _quantity(stock),
                _quantity(reorder),
                "yes" if active else "no",
                "" if (per_kg := price_per_kg(price, unit)) is None else f"{per_kg:.2f}",
            ]
        )


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"  # 100, 2.5 (not 1E+2 or 2.500)


# --- import: parsing and validation -----------------------------------------------------------
def _decimal(text: str, *, places: int) -> Decimal:
    text = text.strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # a decimal comma, as European spreadsheets write it
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number") from None
    if not value.is_finite():
        raise ValueError(f"'{text}' is not a number")
    if value < 0:
        raise ValueError("must not be negative")
    if value.as_tuple().exponent < -places:
        raise ValueError(f"at most {places} decimal places")
    return value


def _reader(text: str) -> csv.reader:
    text = text.removeprefix("\ufeff")
    header = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(header, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text, newline=""), dialect)


@dataclass
class _Row:
    line: int
    values: dict[str, str]
    product: Product | None = None
    stock: Decimal | None = None
    data: dict = field(default_factory=dict)


def _parse(text: str) -> tuple[list[str], list[_Row]]:
    reader = _reader(text)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportRejected([{"line": 1, "message": "The file is empty."}]) from None
    unknown = [h for h in header if h not in COLUMNS + DERIVED_COLUMNS]
    problems = []
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}"
        )
    if "product_id" not in header and "gtin" not in header:
        problems.append("a product_id or gtin column is needed to find the products")
    if len(set(header)) != len(header):
        problems.append("a column appears twice")
    if problems:
        raise ImportRejected([{"line": 1, "message": "Header: " + "; ".join(problems)}])
    rows = []
    line = 1
    for record in reader:
        start = line + 1
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank lines, e.g. at the end of the file
        if len(record) != len(header):
            rows.append(
                _Row(
                    start, {"__error__": f"has {len(record)} fields, the header has {len(header)}"}
                )
            )
            continue
        values = {h: unescape_formula(v.strip()) for h, v in zip(header, record, strict=True)}
        rows.append(_Row(start, values))
    return header, rows


def _validate(header: list[str], rows: list[_Row], progress) -> list[dict]:
    errors: list[dict] = []
    categories = {}
    for category in Category.objects.all():
        categories[category.slug.lower()] = category
        categories[category.name.lower()] = category
    ids = {r.values.get("product_id") for r in rows} - {None, ""}
    gtins = set()
    for r in rows:
        try:
            if r.values.get("gtin"):
                gtins.add(normalize_gtin(r.values["gtin"]))
        except InvalidGtin:
            pass
    existing_fields = ("pk", "product_id", "gtin", "unit", "stock", *DATA_FIELDS)
    by_id, by_gtin = {}, {}
    for chunk in _chunks(sorted(ids), 5000):
        by_id.update(
            (p.product_id, p)
            for p in Product.objects.filter(product_id__in=chunk).only(*existing_fields)
        )
    for chunk in _chunks(sorted(gtins), 5000):
        by_gtin.update(
            (p.gtin, p) for p in Product.objects.filter(gtin__in=chunk).only(*existing_fields)
        )
    seen_ids: dict[str, int] = {}
    claimed_gtins: dict[str, int] = {}

    for n, row in enumerate(rows, start=1):
        if n % PROGRESS_EVERY == 0:
            progress(n, len(rows))
        problems = _validate_row(row, categories, by_id, by_gtin, seen_ids, claimed_gtins)
        errors.extend({"line": row.line, "message": p} for p in problems)
        if len(errors) >= MAX_ERRORS:
            errors.append({"line": row.line, "message": "Too many errors; stopped checking here."})
            break
    return errors


def _validate_row(row: _Row, categories, by_id, by_gtin, seen_ids, claimed_gtins) -> list[str]:
    v = row.values
    if "__error__" in v:
        return [f"The row {v['__error__']}."]
    problems = []
    pid = v.get("product_id", "")
    gtin = None
    if v.get("gtin"):
        try:
            gtin = normalize_gtin(v["gtin"])
        except InvalidGtin as exc:
            problems.append(f"gtin: {exc}")
    if len(pid) > 32:
        problems.append("product_id: at most 32 characters")
    if pid:
        if pid in seen_ids:
            problems.append(f"product_id {pid} is also on line {seen_ids[pid]}")
        seen_ids[pid] = row.line
        product = by_id.get(pid)
        if product and gtin and gtin in by_gtin and by_gtin[gtin].pk != product.pk:
            problems.append(f"gtin {v['gtin']} belongs to product {by_gtin[gtin].product_id}")
    elif gtin:
        product = by_gtin.get(gtin)
        if product is None:
            problems.append("product_id: needed for a new product (no product has this GTIN)")
    else:
        product = None
        problems.append("product_id or gtin: one is needed to find the product")
    row.product = product
    if gtin:
        owner = claimed_gtins.setdefault(gtin, row.line)
        if owner != row.line:
            problems.append(f"gtin {v['gtin']} is also on line {owner}")
        elif product is None and gtin in by_gtin:
            problems.append(f"gtin {v['gtin']} belongs to product {by_gtin[gtin].product_id}")
    if product is None:
        missing = [c for c in REQUIRED_FOR_NEW if not v.get(c)]
        if missing:
            problems.append(f"{', '.join(missing)}: required for a new product")

    data = row.data
    if gtin:
        data["gtin"] = gtin
    if v.get("name"):
        if len(v["name"]) > 200:
            problems.append("name: at most 200 characters")
        data["name"] = v["name"]
    if v.get("description"):
        data["description"] = v["description"]
    if v.get("category"):
        category = categories.get(v["category"].lower())
        if category is None:
            problems.append(
                f"category: no category '{v['category']}' (add it under Categories first)"
            )
        else:
            data["category_id"] = category.pk
    unit = product.unit if product else Unit.EACH
    if v.get("unit"):
        if v["unit"].lower() not in Unit.values:
            problems.append(f"unit: '{v['unit']}' is not one of {', '.join(Unit.values)}")
        else:
            unit = data["unit"] = v["unit"].lower()
    for name, places in (("price", 2), ("reorder_level", 3), ("stock", 3)):
        if v.get(name):
            try:
                value = _decimal(v[name], places=places)
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
                continue
            if name != "price" and not quantity_fits_unit(value, unit):
                problems.append(f"{name}: whole units for a product sold each")
            elif value >= 10 ** (10 - places if name == "price" else 9):
                problems.append(f"{name}: too large")
            elif name == "stock":
                row.stock = value
            else:
                data[name] = value
    if v.get("active"):
        flag = v["active"].lower()
        if flag not in TRUE | FALSE:
            problems.append(f"active: '{v['active']}' is not yes or no")
        else:
            data["is_active"] = flag in TRUE
    return problems


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- import: writing --------------------------------------------------------------------------
def _write(rows: list[_Row], *, user, note: str) -> ImportResult:
    result = ImportResult(rows=len(rows))
    now = timezone.now()
    new = []
    changed: dict[str, Product] = {}
    changed_fields: set[str] = set()
    for row in rows:
        if row.product is None:
            new.append(
                Product(
                    product_id=row.values["product_id"],
                    stock=Decimal(0),
                    created_at=now,
                    updated_at=now,
                    **row.data,
                )
            )
            continue
        product = row.product
        for name, value in row.data.items():
            if getattr(product, name) != value:
                setattr(product, name, value)
                changed_fields.add(name)
                changed[product.product_id] = product
    with transaction.atomic():
        Product.objects.bulk_create(new, batch_size=1000)
        if changed:
            for product in changed.values():
                product.updated_at = now
            Product.objects.bulk_update(
                list(changed.values()), [*sorted(changed_fields), "updated_at"], batch_size=1000
            )
        pks = {p.product_id: p.pk for p in new}
        if new and any(p.pk is None for p in new):  # backends that return no ids on insert
            pks = dict(
                Product.objects.filter(product_id__in=[p.product_id for p in new]).values_list(
                    "product_id", "pk"
                )
            )
        levels = {
            (pks[row.values["product_id"]] if row.product is None else row.product.pk): row.stock
            for row in rows
            if row.stock is not None
        }
        stock_changed = (
            set_stock_levels(levels, reason=StockMovement.Reason.IMPORT, user=user, note=note)
            if levels
            else set()
        )
        ids = list(changed) + [p.product_id for p in new]
        transaction.on_commit(lambda: forget_products(ids))
    new_pks = {p.pk for p in new}
    result.created = len(new)
    result.updated = len({p.pk for p in changed.values()} | (stock_changed - new_pks))
    result.unchanged = result.rows - result.created - result.updated
    return result


def import_catalog(
    text: str,
    *,
    user=None,
    note: str = "",
    progress: Callable[[int, int], None] = lambda d, t: None,
) -> ImportResult:
    """Validate the whole CSV text, then write all of it or nothing. Raises ImportRejected."""
    header, rows = _parse(text)
    if not rows:
        raise ImportRejected([{"line": 2, "message": "The file has a header but no products."}])
    errors = _validate(header, rows, progress)
    if errors:
        raise ImportRejected(errors, rows=len(rows))
    progress(len(rows), len(rows))
    try:
        return _write(rows, user=user, note=note)
    except IntegrityError as exc:  # e.g. two products swapping GTINs within one file
        logger.warning("Catalog import rejected by the database: %s", exc)
        raise ImportRejected(
            [{"line": 0, "message": f"The database refused the import: {exc}"}]
        ) from exc


# --- import: running it -----------------------------------------------------------------------
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
