"""The catalog's CSV file: its columns, the export, formula escaping, and reading an upload into
rows (header checks, field counts, decimals). Nothing here looks at the database."""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from catalog.models import Product, ProductCode, price_per_kg

COLUMNS = [
    "product_id",
    "gtin",
    "codes",
    "name",
    "description",
    "category",
    "price",
    "unit",
    "stock",
    "reorder_level",
    "active",
    "tax_class",  # blank: the category's
    "deposit",
    "deposit_tax_class",
]
# Exported for comparing prices across units (Unit's price_per_kg); an import accepts the column
# and ignores it, because the price and unit are what is stored.
DERIVED_COLUMNS = ["price_per_kg"]


class ImportRejected(Exception):
    def __init__(self, errors: list[dict], rows: int = 0):
        self.errors = errors
        self.rows = rows  # how many product rows the file had, when it got that far
        super().__init__(f"{len(errors)} error(s)")


# --- export ----------------------------------------------------------------------------------
class Echo:
    """A file that hands back what is written: csv.writer's lines for a streaming response."""

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
    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow(COLUMNS + DERIVED_COLUMNS)  # the BOM makes Excel read UTF-8
    rows = (
        queryset.select_related(None)
        .order_by("product_id")
        .values_list(
            "pk",
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
            "tax_class",
            "deposit",
            "deposit_tax_class",
        )
    )
    for row, codes in _with_codes(rows):
        (pid, gtin, name, desc, cat, price, unit, stock, reorder, active) = row[:10]
        tax_class, deposit, deposit_tax_class = row[10:]
        yield writer.writerow(
            [
                *map(escape_formula, (pid, gtin or "", " ".join(codes), name, desc, cat)),
                price,  # numbers we write ourselves, never escaped
                unit,
                quantity_text(stock),
                quantity_text(reorder),
                "yes" if active else "no",
                tax_class,
                deposit,
                deposit_tax_class,
                "" if (per_kg := price_per_kg(price, unit)) is None else f"{per_kg:.2f}",
            ]
        )


def _with_codes(rows, size: int = 2000):
    """Each row with its further codes, fetched a batch of rows at a time (one query a batch)."""
    batch = []
    for row in rows.iterator(size):
        batch.append(row)
        if len(batch) == size:
            yield from _codes_of(batch)
            batch = []
    yield from _codes_of(batch)


def _codes_of(batch: list) -> list:
    codes: dict[int, list[str]] = {row[0]: [] for row in batch}
    if codes:
        further = ProductCode.objects.filter(product__in=list(codes)).order_by("kind", "code")
        for pk, code in further.values_list("product", "code"):
            codes[pk].append(code)
    return [(row[1:], codes[row[0]]) for row in batch]


def split_codes(cell: str) -> list[str]:
    """A `codes` cell: further GTINs and PLUs separated by spaces (or | , ;)."""
    return [code for code in re.split(r"[\s|,;]+", cell.strip()) if code]


def quantity_text(value: Decimal) -> str:
    return f"{value.normalize():f}"  # 100, 2.5 (not 1E+2 or 2.500)


# --- import: reading the file -----------------------------------------------------------------
def parse_decimal(text: str, *, places: int) -> Decimal:
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


def csv_reader(text: str) -> csv.reader:
    text = text.removeprefix("\ufeff")
    header = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(header, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text, newline=""), dialect)


@dataclass
class Row:
    """A line of the file; validation fills in the product it matches, its data and stock."""

    line: int
    values: dict[str, str]
    product: Product | None = None
    stock: Decimal | None = None
    data: dict = field(default_factory=dict)
    codes: list[tuple[str, str]] | None = None  # (code, kind); None: further codes unchanged


def parse(text: str) -> tuple[list[str], list[Row]]:
    """The header and the non-blank rows, cells unescaped. Raises ImportRejected on a bad header."""
    reader = csv_reader(text)
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
                Row(start, {"__error__": f"has {len(record)} fields, the header has {len(header)}"})
            )
            continue
        values = {h: unescape_formula(v.strip()) for h, v in zip(header, record, strict=True)}
        rows.append(Row(start, values))
    return header, rows
