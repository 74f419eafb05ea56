from django.urls import path, re_path

from hippocratic.tracking import views

app_name = "tracking"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    re_path(r"^export\.(?P<fmt>csv|json)$", views.export, name="export"),
    path("disclose", views.disclose, name="disclose"),
]
