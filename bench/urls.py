"""The app's URLs plus /bench/ceiling: a bare Django view returning a constant JSON body, and the
cache warmers of bench/warm.py (/bench/fill, /bench/warm).

The ceiling runs through the same server, settings and middleware as the product lookup, so
the ratio between them is what the lookup itself costs.
"""

from django.http import HttpResponse
from django.urls import path

from bench import warm
from grocery.urls import handler404, handler500  # noqa: F401
from grocery.urls import urlpatterns as app_urlpatterns

# A product-sized body, so both views send about the same number of bytes.
CEILING_BODY = (
    b'{"product_id":"12345","name":"Green Valley Organic Apples 1 kg","price":1.99,'
    b'"description":"Green Valley Organic Apples 1 kg from Green Valley. A fruit favourite at '
    b'our shop.","stock":120,"currency":"EUR","unit":"each","category":{"slug":"fruit",'
    b'"name":"Fruit"},"gtin":"08700000000017","codes":[{"code":"08700000000017","kind":"gtin"}],'
    b'"translations":{},'
    b'"active":true,"stock_state":"in_stock",'
    b'"image_url":null,"url":"http://127.0.0.1:8180/p/12345",'
    b'"qr_url":"http://127.0.0.1:8180/p/12345/qr.svg","promotions":[]}'
)


def ceiling(request):
    return HttpResponse(CEILING_BODY, content_type="application/json")


# The warmers last, so that the lookup's route is resolved exactly as in the app.
urlpatterns = [
    path("bench/ceiling", ceiling),
    *app_urlpatterns,
    path("bench/fill", warm.fill),
    path("bench/warm", warm.warm),
]
