"""The admin pages of orders lived under /admin/checkout/transaction/ until the model was named
Order: managers' bookmarks and links in old emails still point there, so those paths (the list and
an order's pages, with their query string) redirect for good to the same page under the new name.
Routed from grocery/urls.py ahead of the admin, whose catch-all would answer 404 otherwise."""

from django.http import HttpResponsePermanentRedirect
from django.urls import re_path, reverse


def to_order_admin(request, rest: str = ""):
    url = reverse("admin:checkout_order_changelist") + rest
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    return HttpResponsePermanentRedirect(url)


urlpatterns = [
    # The list, and an order's change, refund and history pages (and the bare "<pk>/" form).
    re_path(r"^(?P<rest>(?:\d+/(?:change/|refund/|history/)?)?)$", to_order_admin),
]
