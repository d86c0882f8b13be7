"""The manager portal for the catalog: `products` (products, categories, stock figures, labels,
CSV export and upload) and `records` (what the code writes, read-only). Importing them registers
their ModelAdmins, which is how the admin's autodiscovery finds them."""

from catalog.admin import products, records, stores  # noqa: F401
