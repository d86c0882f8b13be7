"""Admin pages of one store's rows (stock, prices, records, transactions): a staff member sees and
changes those of the stores they work in (catalog.selectors.stores_of), a chain manager all."""

from django.core.exceptions import PermissionDenied, ValidationError

from catalog.selectors import stores_of


class StoreScopedAdmin:
    """Mix into a ModelAdmin whose rows belong to a store through `store_field` (a lookup path;
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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "store":
            kwargs["queryset"] = stores_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
