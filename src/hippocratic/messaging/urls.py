from django.urls import path

from hippocratic.messaging import views

app_name = "messaging"
urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("list/", views.mailing_list, name="mailing_list"),
    path("outbox/", views.outbox, name="outbox"),
]
