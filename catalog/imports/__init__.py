"""Catalog CSV export and import.

The import is all or nothing: every row is validated first and any error (reported by line
number) rejects the whole file; only a clean file is written, in one transaction. Products are
matched by product_id, or by GTIN when the row has no product_id. A column left out of the file,
or an empty cell, leaves that field unchanged; stock goes through the stock service (audited).

`csv_format` is the file (columns, formula escaping, parsing, numbers), `validation` checks the
rows against the catalog, `catalog.services.import_products` writes them, and `runner` runs an
uploaded import (inline or in a Celery worker) and reports its progress. `store_csv` is the
same for stores' own prices and stock (written by catalog.services.import_store_products).
"""
