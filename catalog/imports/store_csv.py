"""Stores' prices and stock as CSV: one line per store and product, exported with formula escaping
and imported all or nothing like the catalogue (every line checked first, errors by line).

A blank price or reorder level is the catalogue's; a blank stock or listed cell, or a column left
out, keeps what the store has. A store with no row for a product gets one, but only for a product
the catalogue has: the import lists products in stores, it never creates products. A line for
a store the importing user does not work in (catalog.selectors.stores_of) is an error of its own.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from catalog.imports.csv_format import (
    Echo,
    ImportRejected,
    csv_reader,
    escape_formula,
    parse_decimal,
    quantity_text,
    unescape_formula,
)
from catalog.imports.validation import FALSE, MAX_ERRORS, TRUE
from catalog.models import Product, Store, StoreProduct, quantity_fits_unit
from catalog.selectors import stores_of
from catalog.services import StoreProductRow, import_store_products

COLUMNS = ["store", "product_id", "price", "stock", "reorder_level", "listed"]
KEYS = ("store", "product_id")
CHUNK = 5000


def export_rows(stores) -> Iterator[str]:
    """CSV lines for a streaming response: the header, then each store's rows by product."""
    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow(COLUMNS)  # the BOM makes Excel read UTF-8
    rows = (
        StoreProduct.objects.filter(store__in=stores)
        .order_by("store__code", "product__product_id")
        .values_list(
            "store__code", "product__product_id", "price", "stock", "reorder_level", "is_listed"
        )
    )
    for code, product_id, price, stock, level, listed in rows.iterator(2000):
        yield writer.writerow(
            [
                escape_formula(code),
                escape_formula(product_id),
                "" if price is None else price,  # numbers we write ourselves, never escaped
                quantity_text(stock),
                "" if level is None else quantity_text(level),
                "yes" if listed else "no",
            ]
        )


@dataclass
class Line:
    line: int
    values: dict[str, str]
    store: Store | None = None
    product: Product | None = None
    data: dict = field(default_factory=dict)
    stock: Decimal | None = None


def parse(text: str) -> list[Line]:
    """The non-blank lines, cells unescaped. Raises ImportRejected on a bad header."""
    reader = csv_reader(text)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportRejected([{"line": 1, "message": "The file is empty."}]) from None
    problems = []
    if unknown := [h for h in header if h not in COLUMNS]:
        problems.append(
            f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}"
        )
    if missing := [k for k in KEYS if k not in header]:
        problems.append(f"the {' and '.join(missing)} column(s) are needed")
    if len(set(header)) != len(header):
        problems.append("a column appears twice")
    if problems:
        raise ImportRejected([{"line": 1, "message": "Header: " + "; ".join(problems)}])
    lines, end = [], 1
    for record in reader:
        start, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            error = f"The line has {len(record)} fields, the header has {len(header)}."
            lines.append(Line(start, {"__error__": error}))
            continue
        values = {h: unescape_formula(v.strip()) for h, v in zip(header, record, strict=True)}
        lines.append(Line(start, values))
    return lines


def validate(lines: list[Line], *, user) -> list[dict]:
    """The problems of every line, by line (none: the lines are ready to write)."""
    stores = {store.code: store for store in Store.objects.all()}
    theirs = set(stores_of(user).values_list("code", flat=True))
    ids = sorted({ln.values.get("product_id") for ln in lines} - {None, ""})
    products: dict[str, Product] = {}
    for i in range(0, len(ids), CHUNK):
        found = Product.objects.filter(product_id__in=ids[i : i + CHUNK])
        products.update((p.product_id, p) for p in found.only("pk", "product_id", "unit"))
    stocks = {}  # what the stores hold now, for a negative figure exported and sent back
    pks = sorted(p.pk for p in products.values())
    for i in range(0, len(pks), CHUNK):
        held = StoreProduct.objects.filter(product__in=pks[i : i + CHUNK])
        stocks.update(((s, p), q) for s, p, q in held.values_list("store", "product", "stock"))
    seen: dict[tuple[str, str], int] = {}
    errors: list[dict] = []
    for line in lines:
        problems = _validate_line(line, stores, theirs, products, stocks, seen)
        errors.extend({"line": line.line, "message": p} for p in problems)
        if len(errors) >= MAX_ERRORS:
            errors.append({"line": line.line, "message": "Too many errors; stopped checking here."})
            break
    return errors


def _validate_line(line: Line, stores, theirs, products, stocks, seen) -> list[str]:
    v = line.values
    if "__error__" in v:
        return [v["__error__"]]
    problems = []
    code, product_id = v.get("store", ""), v.get("product_id", "")
    line.store, line.product = stores.get(code), products.get(product_id)
    if not code:
        problems.append("store: a store code is needed")
    elif line.store is None:
        problems.append(f"store: no store with the code '{code}'")
    elif code not in theirs:
        problems.append(f"store: you do not work for store {code}")
    elif not line.store.is_active:
        problems.append(f"store: {code} is closed (inactive); open it before importing")
    if not product_id:
        problems.append("product_id: a product_id is needed")
    elif line.product is None:
        problems.append(f"product_id: no product '{product_id}' in the catalogue")
    earlier = seen.setdefault((code, product_id), line.line)
    if code and product_id and earlier != line.line:
        problems.append(f"store {code} and product_id {product_id} are also on line {earlier}")
    unit = line.product.unit if line.product else None
    for name, places in (("price", 2), ("reorder_level", 3)):
        if name in v:
            value = _number(v[name], name, places, unit, problems) if v[name] else None
            if value is not None or not v[name]:
                line.data[name] = value
    if v.get("stock"):
        text = v["stock"].strip()
        negative = text.startswith("-")
        value = _number(text.removeprefix("-"), "stock", 3, unit, problems)
        if value is not None and negative:
            value = -value
            now = stocks.get((line.store.pk, line.product.pk)) if line.store and unit else None
            if value != now:  # only a figure sent back unchanged may stay below zero
                problems.append("stock: a counted figure is never below zero")
        line.stock = value
    if v.get("listed"):
        flag = v["listed"].lower()
        if flag not in TRUE | FALSE:
            problems.append(f"listed: '{v['listed']}' is not yes or no")
        else:
            line.data["is_listed"] = flag in TRUE
    return problems


def _number(text: str, name: str, places: int, unit: str | None, problems: list[str]):
    """The cell's figure, or None after adding its problem."""
    try:
        value = parse_decimal(text, places=places)
    except ValueError as exc:
        problems.append(f"{name}: {exc}")
        return None
    if value >= 10 ** (10 - places if name == "price" else 9):
        problems.append(f"{name}: too large")
    elif name != "price" and unit and not quantity_fits_unit(value, unit):
        problems.append(f"{name}: whole units for a product sold each")
    else:
        return value
    return None


def import_store_prices(text: str, *, user, note: str = "") -> tuple[int, int]:
    """Check every line, then write all of them or none, as `user` (who may write only the stores
    they work in). Returns (lines, store rows changed); raises ImportRejected with every problem
    by line."""
    lines = parse(text)
    if not lines:
        raise ImportRejected([{"line": 2, "message": "The file has a header but no lines."}])
    if errors := validate(lines, user=user):
        raise ImportRejected(errors, rows=len(lines))
    checked = [
        StoreProductRow(
            store=line.store,
            product_pk=line.product.pk,
            product_id=line.product.product_id,
            data=line.data,
            stock=line.stock,
        )
        for line in lines
    ]
    return len(lines), import_store_products(checked, user=user, note=note)
