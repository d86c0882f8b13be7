"""The one place the cached promotions are forgotten: after any committed write that changes them.

Signals rather than calls in each service, because admin bulk actions, inlines and the shell
write promotions too, and a stale promotion would price a basket wrongly.
"""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from catalog.models import Category, Store
from promotions.models import Promotion
from promotions.selectors import forget_active_promotions


def _forget_on_commit(action: str = "post", **kwargs) -> None:
    if action.startswith("post"):  # m2m_changed also announces pre_add, pre_remove, ...
        transaction.on_commit(forget_active_promotions)


def connect() -> None:
    for model in (Promotion, Category, Store):  # the set names categories and stores by code
        post_save.connect(_forget_on_commit, sender=model, dispatch_uid=f"promo-save-{model}")
        post_delete.connect(_forget_on_commit, sender=model, dispatch_uid=f"promo-del-{model}")
    for through in (
        Promotion.products.through,
        Promotion.categories.through,
        Promotion.stores.through,
    ):
        m2m_changed.connect(_forget_on_commit, sender=through, dispatch_uid=f"promo-m2m-{through}")
