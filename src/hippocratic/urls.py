from django.contrib import admin
from django.urls import include, path

from hippocratic.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/traffic/", include("hippocratic.tracking.urls")),
    path("account/billing/", include("hippocratic.billing.urls")),
    path("", include("hippocratic.requests.urls")),
    path("", include("hippocratic.disclosure.urls")),
    path("", include("hippocratic.sales.urls")),
    path("", include("hippocratic.communications.urls")),
    path("", include("hippocratic.hosted.urls")),
    path("account/", include("hippocratic.accounts.urls")),
    path("mail/", include("hippocratic.messaging.urls")),
    path("api/", api.urls),
    path("", include("hippocratic.site.urls")),
]

handler403 = "hippocratic.site.views.forbidden"

# The admin's index names the staff pages; the provider's name is in its header
# (site/admin_templates/admin/base_site.html).
admin.site.site_header = admin.site.site_title = "Staff pages"
admin.site.index_title = "Staff pages"
