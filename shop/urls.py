"""The manager's reports, under /admin/reports/."""

from django.urls import path

from shop import views

urlpatterns = [path("vat.csv", views.vat_csv, name="shop-vat-csv")]
