from django.urls import path

from hippocratic.site import views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("preferences/", views.preferences_page, name="preferences"),
]
