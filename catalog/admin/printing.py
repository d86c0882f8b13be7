"""Which store a label or poster is printed for: asked on a page between the admin action (or
the product's "Print shelf label" link) and the PDF. With one store to print for, nobody is asked."""

from django import forms
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from catalog.models import Store
from catalog.selectors import list_staff_stores


class PrintStoreForm(forms.Form):
    store = forms.ChoiceField(label="Print for the store")

    def __init__(self, *args, stores: list[Store], **kwargs):
        super().__init__(*args, **kwargs)
        self.stores = {store.code: store for store in stores}
        self.fields["store"].choices = [(s.code, f"{s.code} · {s.name}") for s in stores]

    def chosen(self) -> Store:
        return self.stores[self.cleaned_data["store"]]


def store_to_print_for(request, data) -> tuple[Store | None, PrintStoreForm | None]:
    """(the store, None) when there is only one to print for or `data` chose one the user may
    print for; else (None, the form to ask with)."""
    stores = list_staff_stores(request.user)
    if not stores:
        raise PermissionDenied  # no open store this user may print for
    if len(stores) == 1:
        return stores[0], None
    form = PrintStoreForm(data if "store" in data else None, stores=stores)
    return (form.chosen(), form) if form.is_valid() else (None, form)


def ask_store_page(
    request, modeladmin, form: PrintStoreForm, *, title: str, count: int, action: str = ""
) -> TemplateResponse:
    """The page asking for the store. For an action it posts the selection back to the change
    list (as Django's delete confirmation does); for a link it reloads the link with ?store=."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "form": form,
        "count": count,
        "action": action,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) if action else [],
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/catalog/print_store.html", context)
