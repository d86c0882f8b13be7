"""Checking parsed import rows against the catalog: each row's product (by product_id or GTIN),
its fields and stock figure, and what rows of one file must not share. Every problem is reported
with its line; a row that passes carries what catalog.services.import_products writes."""

from contextlib import suppress
from dataclasses import dataclass

from catalog.gtin import GTIN, PLU, InvalidGtin, is_plu, normalize_code, normalize_gtin
from catalog.imports.csv_format import Row, parse_decimal, split_codes
from catalog.models import Category, Product, ProductCode, Unit, quantity_fits_unit
from grocery.tax import TaxClass

DATA_FIELDS = (
    "gtin",
    "name",
    "description",
    "category_id",
    "price",
    "unit",
    "reorder_level",
    "is_active",
    "tax_class",
    "deposit",
    "deposit_tax_class",
)
REQUIRED_FOR_NEW = ("name", "category", "price")
TRUE, FALSE = {"1", "true", "yes", "y", "ja"}, {"0", "false", "no", "n", "nee"}
MAX_ERRORS = 500  # a file that is wrong everywhere needs no 10,000 messages
PROGRESS_EVERY = 500


def validate(rows: list[Row], progress) -> list[dict]:
    """The problems of every row, by line (none: the rows are ready to write)."""
    errors: list[dict] = []
    categories = {}
    for category in Category.objects.all():
        categories[category.slug.lower()] = category
        categories[category.name.lower()] = category
    ids = {r.values.get("product_id") for r in rows} - {None, ""}
    gtins, codes = set(), set()
    for r in rows:
        try:
            if r.values.get("gtin"):
                gtins.add(normalize_gtin(r.values["gtin"]))
        except InvalidGtin:
            pass
        for cell in split_codes(r.values.get("codes") or ""):
            with suppress(InvalidGtin):  # reported by _validate_codes
                codes.add(normalize_code(cell))
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
    plus = {c for c, k in codes if k == PLU} | {i for i in ids if is_plu(i)}
    owners = _code_owners(gtins | ids | {code for code, _ in codes}, plus)
    seen_ids: dict[str, int] = {}
    claimed_gtins: dict[str, int] = {}

    for n, row in enumerate(rows, start=1):
        if n % PROGRESS_EVERY == 0:
            progress(n, len(rows))
        problems = _validate_row(row, categories, by_id, by_gtin, seen_ids, claimed_gtins)
        problems += _validate_codes(row, owners, claimed_gtins)
        errors.extend({"line": row.line, "message": p} for p in problems)
        if len(errors) >= MAX_ERRORS:
            errors.append({"line": row.line, "message": "Too many errors; stopped checking here."})
            break
    return errors


def _validate_row(row: Row, categories, by_id, by_gtin, seen_ids, claimed_gtins) -> list[str]:
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
                value = parse_decimal(v[name], places=places)
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
    problems.extend(_tax_and_deposit(v, data, unit))
    return problems


def _tax_and_deposit(v: dict, data: dict, unit: str) -> list[str]:
    problems = []
    for name in ("tax_class", "deposit_tax_class"):
        if v.get(name):
            if v[name].lower() not in TaxClass.values:
                problems.append(f"{name}: '{v[name]}' is not one of {', '.join(TaxClass.values)}")
            else:
                data[name] = v[name].lower()
    if v.get("deposit"):
        try:
            deposit = parse_decimal(v["deposit"], places=2)
        except ValueError as exc:
            problems.append(f"deposit: {exc}")
        else:
            if deposit < 0:
                problems.append("deposit: must not be negative")
            elif deposit and unit != Unit.EACH:
                problems.append("deposit: only items sold each carry a deposit")
            elif deposit >= 10**8:
                problems.append("deposit: too large")
            else:
                data["deposit"] = deposit
    return problems


@dataclass
class CodeOwners:
    """Who answers to the file's codes now, each as (pk, product_id): the same three ways as
    catalog.selectors.get_code_owner, looked up for a whole file at once."""

    further: dict[str, tuple[int, str]]
    primary: dict[str, tuple[int, str]]  # by GTIN
    shelf: dict[str, tuple[int, str]]  # by shelf code, for PLUs

    def other_than(self, code: str, kind: str, product: Product | None) -> str | None:
        """The product_id of another product that has the code, if any."""
        for found in (self.further, self.primary if kind == GTIN else self.shelf):
            owner = found.get(code)
            if owner and (product is None or owner[0] != product.pk):
                return owner[1]
        return None


def _code_owners(codes: set[str], plus: set[str]) -> CodeOwners:
    owners = CodeOwners({}, {}, {})
    for chunk in _chunks(sorted(codes), 5000):
        further = ProductCode.objects.filter(code__in=chunk)
        owners.further.update(
            (code, (pk, pid))
            for code, pk, pid in further.values_list("code", "product", "product__product_id")
        )
        primary = Product.objects.filter(gtin__in=chunk)
        owners.primary.update(
            (gtin, (pk, pid)) for gtin, pk, pid in primary.values_list("gtin", "pk", "product_id")
        )
    for chunk in _chunks(sorted(plus), 5000):
        shelf = Product.objects.filter(product_id__in=chunk)
        owners.shelf.update((pid, (pk, pid)) for pk, pid in shelf.values_list("pk", "product_id"))
    return owners


def _validate_codes(row: Row, owners: CodeOwners, claimed: dict[str, int]) -> list[str]:
    """A `codes` cell replaces the product's further codes (blank: unchanged). Each must be free or
    the product's own already, on no other line, and not its GTIN or shelf code; the row's GTIN
    (and a new product's PLU-like shelf code) must not be a further code elsewhere either."""
    v, product = row.values, row.product
    problems = []
    gtin = row.data.get("gtin") or (product.gtin if product else None)
    pid = v.get("product_id") or (product.product_id if product else "")
    cells = split_codes(v.get("codes") or "")
    if cells:
        row.codes = []
    for cell in cells:
        try:
            code, kind = normalize_code(cell)
        except InvalidGtin as exc:
            problems.append(f"codes: {cell}: {exc}")
            continue
        line = claimed.setdefault(code, row.line)
        if line != row.line:
            problems.append(f"code {cell} is also on line {line}")
        elif other := owners.other_than(code, kind, product):
            problems.append(f"code {cell} belongs to product {other}")
        elif code in (gtin, pid):
            problems.append(f"code {cell} is already this product's gtin or product_id")
        else:
            row.codes.append((code, kind))
    kept = None if row.codes is None else {code for code, _ in row.codes}
    if new_gtin := row.data.get("gtin"):
        owner = owners.further.get(new_gtin)
        if owner and (product is None or owner[0] != product.pk):
            problems.append(f"gtin {v['gtin']} belongs to product {owner[1]}")
        elif owner and (kept is None or new_gtin in kept):
            problems.append(f"gtin {v['gtin']} is also one of this product's codes")
    if product is None and is_plu(pid) and (owner := owners.further.get(pid)):
        problems.append(f"product_id {pid} is a code of product {owner[1]}")
    return problems


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
