"""The shop roles and their permissions, defined once.

A data migration (shop/migrations/0001_roles.py) creates the groups; `sync_role_permissions` runs
after every `migrate` too (ShopConfig.ready), so that the Store manager role also covers models
that later migrations add. The domain apps never name a role: they ask for a permission.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

STORE_MANAGER = "Store manager"
CHAIN_MANAGER = "Chain manager"
STAFF = "Staff"

# Store managers run their stores (catalog.selectors.stores_of): every permission of the shop's
# own apps but the chain-wide ones...
MANAGER_APPS = ("catalog", "checkout", "customers", "promotions", "frontend")
# ...which chain managers have on top: they see and change every store.
CHAIN_WIDE = (("catalog", "manage_all_stores"),)
# ...and they look after customer and staff accounts (superuser status stays superuser-only,
# see shop.admin.ShopUserAdmin), and the staff's API tokens: issue one, revoke one.
MANAGER_EXTRA = (
    ("auth", "view_user"),
    ("auth", "add_user"),
    ("auth", "change_user"),
    ("authtoken", "view_tokenproxy"),
    ("authtoken", "add_tokenproxy"),
    ("authtoken", "delete_tokenproxy"),
)
# Staff on the shop floor: look products up, correct stock counts, print shelf labels.
STAFF_PERMISSIONS = (
    ("catalog", "view_product"),
    ("catalog", "view_productcode"),  # the further GTINs and PLUs on the product's page
    ("catalog", "view_producttranslation"),
    ("catalog", "view_category"),
    ("catalog", "view_stockmovement"),
    ("catalog", "view_stockcountrequest"),  # the products a sale found short, to count
    ("catalog", "adjust_stock"),
    ("catalog", "print_labels"),
)


def _matching(pairs) -> Q:
    query = Q(pk__in=[])
    for app_label, codename in pairs:
        query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def sync_role_permissions(group_model=Group, permission_model=Permission) -> None:
    """Create the groups if needed and add what each role should have (never removes grants)."""
    manager, _ = group_model.objects.get_or_create(name=STORE_MANAGER)
    chain_manager, _ = group_model.objects.get_or_create(name=CHAIN_MANAGER)
    staff, _ = group_model.objects.get_or_create(name=STAFF)
    managing = permission_model.objects.filter(
        Q(content_type__app_label__in=MANAGER_APPS) | _matching(MANAGER_EXTRA)
    ).exclude(_matching(CHAIN_WIDE))
    manager.permissions.add(*managing)
    chain_manager.permissions.add(
        *managing, *permission_model.objects.filter(_matching(CHAIN_WIDE))
    )
    staff.permissions.add(*permission_model.objects.filter(_matching(STAFF_PERMISSIONS)))


def sync_after_migrate(sender, **kwargs) -> None:
    """post_migrate receiver: auth's own receiver has created this app's permissions by now."""
    if sender.label in MANAGER_APPS:
        sync_role_permissions()
