from django.urls import path

from customers import api

urlpatterns = [
    path("api/account", api.AccountApi.as_view(), name="account"),
    path("api/account/signup", api.SignUpApi.as_view(), name="account-signup"),
    path("api/account/signin", api.SignInApi.as_view(), name="account-signin"),
    path("api/account/signout", api.SignOutApi.as_view(), name="account-signout"),
    path("api/account/export", api.AccountExportApi.as_view(), name="account-export"),
    path("api/account/card.svg", api.CardQrApi.as_view(), name="account-card-qr"),
    path("api/account/points", api.PointsApi.as_view(), name="account-points"),
    path("api/account/password-reset", api.PasswordResetApi.as_view(), name="password-reset"),
    path(
        "api/account/password-reset/confirm",
        api.PasswordResetConfirmApi.as_view(),
        name="password-reset-confirm",
    ),
]
