from django.urls import path

from hippocratic.disclosure import views

app_name = "disclosure"
urlpatterns = [
    path("transparency/", views.transparency_page, name="transparency"),
    path("transparency/figures.<str:fmt>", views.transparency_figures, name="figures"),
    path("transparency/log/", views.transparency_log, name="transparency-log"),
]
