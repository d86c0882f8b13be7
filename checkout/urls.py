from django.urls import path

from checkout import api

urlpatterns = [
    path("api/cart", api.CartApi.as_view(), name="cart"),
    path("api/cart/store", api.CartStoreApi.as_view(), name="cart-store"),
    path("api/cart/lines", api.CartLinesApi.as_view(), name="cart-lines"),
    path("api/cart/vouchers", api.CartVouchersApi.as_view(), name="cart-vouchers"),
    path("api/cart/vouchers/<str:code>", api.CartVoucherApi.as_view(), name="cart-voucher"),
    path("api/cart/lines/<str:product_id>", api.CartLineApi.as_view(), name="cart-line"),
    path("api/checkout/config", api.CheckoutConfigApi.as_view(), name="checkout-config"),
    path("api/checkout/quote", api.QuoteApi.as_view(), name="checkout-quote"),
    path("api/checkout/webhooks/stripe", api.StripeWebhookApi.as_view(), name="stripe-webhook"),
    path("api/checkout", api.CheckoutApi.as_view(), name="checkout"),
    path(
        "api/checkout/<str:transaction_id>/confirm",
        api.CheckoutConfirmApi.as_view(),
        name="checkout-confirm",
    ),
    path("api/receipts", api.ReceiptListApi.as_view(), name="receipt-list"),
    path("api/exit/verify", api.ExitVerifyApi.as_view(), name="exit-verify"),
    path("api/exit/audit", api.ExitAuditApi.as_view(), name="exit-audit"),
    path("api/exit/id-check", api.ExitIdCheckApi.as_view(), name="exit-id-check"),
    path("api/receipts/exit/<str:code>/qr.svg", api.exit_qr, name="exit-qr"),
    path(
        "api/receipts/<str:transaction_id>/returns",
        api.ReceiptReturnsApi.as_view(),
        name="receipt-returns",
    ),
    path("api/receipts/<str:transaction_id>", api.ReceiptApi.as_view(), name="receipt-detail"),
]
