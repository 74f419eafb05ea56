from django.urls import path

from hippocratic.messaging import views

app_name = "messaging"
urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("list/", views.mailing_list, name="mailing_list"),
    path("join/", views.join, name="join"),
    path("join/<str:token>/", views.join_confirm, name="join_confirm"),
    path("outbox/", views.outbox, name="outbox"),
]
