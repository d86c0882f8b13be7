"""Admin pages of one store's rows (stock, prices, records, transactions): a staff member sees and
changes those of the stores they work in (catalog.selectors.stores_of), a chain manager all."""

from django.core.exceptions import PermissionDenied, ValidationError

from catalog.selectors import stores_of, works_in_every_store


class StoreScopedAdmin:
    """Mix into a ModelAdmin whose rows belong to a store through `store_field` (a foreign key;
    "pk" for the Store itself). Changelists, actions and forms see the user's stores only; the
    page of another store's row is a 403, not the admin's "does not exist" redirect."""

    store_field = "store"

    def _scope(self, request) -> dict:
        return {f"{self.store_field}__in": stores_of(request.user)}

    def get_queryset(self, request):
        return super().get_queryset(request).filter(**self._scope(request))

    def get_object(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        if found is None:
            field = from_field or self.model._meta.pk.attname
            others = self.model._default_manager.exclude(**self._scope(request))
            try:
                if others.filter(**{field: object_id}).exists():
                    raise PermissionDenied
            except (ValueError, TypeError, ValidationError):
                pass  # not a key at all: the admin's own "does not exist" answer
        return found

    def _works_on(self, request, obj) -> bool:
        if obj is None:
            return True
        store_pk = obj.pk if self.store_field == "pk" else getattr(obj, f"{self.store_field}_id")
        return stores_of(request.user).filter(pk=store_pk).exists()

    # Object-level, for the pages above and for rows deleted with their parent (a product's).
    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._works_on(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._works_on(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._works_on(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "store":
            kwargs["queryset"] = stores_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ChainWideAdmin:
    """Mix into the admin of what every store shares (price lists): anyone with the view
    permission may look, but only who works in every store changes it (works_in_every_store):
    one store's manager must not reprice the other stores on the list."""

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and works_in_every_store(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and works_in_every_store(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and works_in_every_store(request.user)
