from django.urls import path

from hippocratic.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.home, name="home"),
    path("card/", views.add_card, name="add_card"),
]
