from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/traffic/", include("hippocratic.tracking.urls")),
    path("account/", include("hippocratic.accounts.urls")),
    path("", include("hippocratic.site.urls")),
]
