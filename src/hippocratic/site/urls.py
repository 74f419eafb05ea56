from django.urls import path

from hippocratic.site import staff, views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/versions/", views.policy_versions, name="versions"),
    path("privacy/versions/<int:number>/", views.policy_version, name="version"),
    path(
        "privacy/versions/<int:number>/policy.yaml", views.policy_version_text, name="version_text"
    ),
    path("terms/", views.terms, name="terms"),
    path("terms/versions/<int:number>/", views.terms_version, name="terms_version"),
    path("preferences/", views.preferences_page, name="preferences"),
    path("staff/", staff.staff_home, name="staff_home"),
    path("favicon.ico", views.favicon, name="favicon"),
]
