from django.urls import path

from hippocratic.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.home, name="home"),
    path("card/", views.add_card, name="add_card"),
    path("card/remove/", views.remove_card, name="remove_card"),
    path("invoices/<str:number>/", views.receipt, name="receipt"),
]
