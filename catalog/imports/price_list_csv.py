"""A price list's entries from CSV (product_id,price), all or nothing like the other imports:
every line is checked first and the problems are listed by line; then
catalog.services.set_price_list_entries writes them in one go. Lines name products the catalogue
has; products the file leaves out keep their entries."""

from catalog.imports.csv_format import ImportRejected, csv_reader, parse_decimal, unescape_formula
from catalog.imports.validation import MAX_ERRORS
from catalog.models import PriceList, Product
from catalog.services import is_price, set_price_list_entries

COLUMNS = ["product_id", "price"]
CHUNK = 5000


def parse(text: str) -> list[tuple[int, str, str]]:
    """(line, product_id, price) of the non-blank lines. Raises ImportRejected on a bad header
    or a line whose fields do not match it."""
    reader = csv_reader(text)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportRejected([{"line": 1, "message": "The file is empty."}]) from None
    if sorted(header) != sorted(COLUMNS):
        message = f"Header: the columns are {', '.join(COLUMNS)}, not {', '.join(header)}"
        raise ImportRejected([{"line": 1, "message": message}])
    lines, errors, end = [], [], 1
    for record in reader:
        start, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            errors.append({"line": start, "message": f"The line has {len(record)} fields, not 2."})
            continue
        values = {h: unescape_formula(v.strip()) for h, v in zip(header, record, strict=True)}
        lines.append((start, values["product_id"], values["price"]))
    if errors:
        raise ImportRejected(errors, rows=len(lines) + len(errors))
    return lines


def validate(lines: list[tuple[int, str, str]]) -> tuple[dict, list[dict]]:
    """The prices by product_id, and the problems of every line (none: ready to write)."""
    ids = sorted({pid for _, pid, _ in lines} - {""})
    known: set[str] = set()
    for i in range(0, len(ids), CHUNK):
        found = Product.objects.filter(product_id__in=ids[i : i + CHUNK])
        known.update(found.values_list("product_id", flat=True))
    prices, seen, errors = {}, {}, []
    for line, product_id, text in lines:
        problems = []
        if not product_id:
            problems.append("product_id: a product_id is needed")
        elif product_id not in known:
            problems.append(f"product_id: no product '{product_id}' in the catalogue")
        elif (earlier := seen.setdefault(product_id, line)) != line:
            problems.append(f"product_id {product_id} is also on line {earlier}")
        try:
            price = parse_decimal(text, places=2) if text else None
        except ValueError as exc:
            problems.append(f"price: {exc}")
        else:
            if price is None:
                problems.append("price: a price is needed")
            elif not is_price(price):
                problems.append("price: too large")
            else:
                prices[product_id] = price
        errors.extend({"line": line, "message": p} for p in problems)
        if len(errors) >= MAX_ERRORS:
            errors.append({"line": line, "message": "Too many errors; stopped checking here."})
            break
    return prices, errors


def import_price_list(text: str, *, price_list: PriceList) -> tuple[int, int]:
    """Check every line, then write all of them or none. Returns (lines, prices changed);
    raises ImportRejected with every problem by line."""
    lines = parse(text)
    if not lines:
        raise ImportRejected([{"line": 2, "message": "The file has a header but no lines."}])
    prices, errors = validate(lines)
    if errors:
        raise ImportRejected(errors, rows=len(lines))
    return len(lines), set_price_list_entries(price_list=price_list, prices=prices)
