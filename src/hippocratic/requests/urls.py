from django.urls import path

from hippocratic.requests import views

app_name = "requests"
urlpatterns = [
    path("account/choices/", views.my_choices, name="choices"),
    path("account/requests/", views.my_requests, name="mine"),
    path("privacy/questions/", views.ask, name="ask"),
    path("contact/", views.contact, name="contact"),
    path("requests/confirm/<str:token>/", views.confirm, name="confirm"),
    path("requests/<str:token>/", views.view, name="view"),
]
