"""The manager portal for the catalog: `products` (products, categories, stock figures, labels,
CSV export and upload), `records` (what the code writes, read-only), `stores` and `price_lists`
(the chain's stores and the prices groups of them sell at). Importing them registers their
ModelAdmins, which is how the admin's autodiscovery finds them."""

from catalog.admin import price_lists, products, records, stores  # noqa: F401
