"""Every write of the checkout, one module per seam: carts, orders (placing one), payments
(settling one), refunds, reconciliation, discrepancies, exits.

Callers import from the module that owns the function (`from checkout.services import orders`,
then `orders.place_order(...)`): the import names the seam a caller depends on, each function has
one place, and this package re-exports nothing that could drift from its modules. The modules
depend one way only: discrepancies <- payments <- orders, reconciliation.

Lock order everywhere: an order row first, then product rows in primary-key order (inside
catalog.services). No gateway call is ever made inside a database transaction.
"""
