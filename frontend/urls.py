from django.urls import path, re_path

from frontend import api, i18n, views

# Every screen is the same app shell; the client-side router picks the screen from the path.
# /01/{gtin} and /p/{id}/qr.svg are catalog's; they are matched before these.
urlpatterns = [
    path("", views.shell, name="app-home"),
    re_path(r"^s/(?P<store>[-a-zA-Z0-9_]+)/?$", views.store_entrance, name="app-store"),
    re_path(r"^scan/?$", views.shell, name="app-scan"),
    re_path(r"^p/(?P<product_id>[^/]+)/?$", views.product_page, name="app-product"),
    re_path(r"^promo/(?P<promotion_id>[^/]+)/?$", views.shell, name="app-promotion"),
    re_path(r"^promotions/?$", views.shell, name="app-promotions"),
    re_path(r"^cart/?$", views.shell, name="app-cart"),
    # A printed coupon's QR (promotions.selectors.coupon_url): the code goes on the cart.
    re_path(r"^c/(?P<coupon_code>[-A-Za-z0-9]+)/?$", views.shell, name="app-coupon"),
    re_path(r"^checkout/?$", views.shell, name="app-checkout"),
    re_path(r"^receipts/?$", views.shell, name="app-receipts"),
    re_path(r"^receipts/(?P<transaction_id>[^/]+)/?$", views.shell, name="app-receipt"),
    re_path(r"^account/?$", views.shell, name="app-account"),
    # The password reset email's link (customers.api.PasswordResetApi).
    re_path(r"^account/reset-password/?$", views.shell, name="app-reset-password"),
    re_path(r"^staff/?$", views.shell, name="app-staff"),
    path("manifest.webmanifest", views.manifest, name="app-manifest"),
    path("sw.js", views.service_worker, name="app-sw"),
    path("api/csp-reports", api.CspReportApi.as_view(), name="csp-reports"),
    path("api/language", i18n.LanguageSwitchApi.as_view(), name="language"),
    path("api/i18n/<str:language>", i18n.MessageCatalogueApi.as_view(), name="message-catalogue"),
]
