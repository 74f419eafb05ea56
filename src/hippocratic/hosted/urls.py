from django.urls import path

from hippocratic.hosted import views

app_name = "hosted"
urlpatterns = [
    path("apps/records/", views.my_records, name="records"),
    path("apps/records/<int:record_id>/", views.my_record, name="record"),
    path("apps/records/<int:record_id>/delete/", views.delete_record, name="delete"),
    path("apps/integrations/<slug:recipient>/", views.integration, name="integration"),
]
