from django.urls import path

from hippocratic.sales import views

app_name = "sales"
urlpatterns = [
    path("products/<slug:code>/", views.landing, name="landing"),
    path("go/<slug:code>/", views.affiliate_link, name="affiliate"),
]
