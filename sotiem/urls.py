from django.contrib import admin
from django.urls import path

from sotiem.api import api
from sotiem.core import views as core_views

admin.site.site_header = "sotiem — Sổ tiêm / Immunization registry"
admin.site.site_title = "sotiem"
admin.site.index_title = "Quản trị sổ tiêm / Registry administration"

urlpatterns = [
    path("", core_views.landing, name="landing"),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
