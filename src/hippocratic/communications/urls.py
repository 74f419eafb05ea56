from django.urls import path

from hippocratic.communications import views

app_name = "communications"
urlpatterns = [
    path("account/mail/", views.inbox, name="inbox"),
    path("account/mail/forwarding/", views.set_forwarding, name="forwarding"),
    path("account/mail/<int:message_id>/", views.message, name="message"),
    path("account/mail/<int:message_id>.eml", views.download, name="download"),
    path("account/mail/<int:message_id>/report/", views.report_mine, name="report_mine"),
    path("account/access/", views.my_access, name="access"),
    path("account/access/<int:case_id>/revoke/", views.revoke, name="revoke"),
    path("report-harm/", views.report_harm, name="report_harm"),
    path("staff/access/", views.cases, name="cases"),
    path("staff/access/<int:case_id>/", views.case, name="case"),
    path("staff/access/<int:case_id>/approve/", views.approve, name="approve"),
    path("staff/access/<int:case_id>/<int:item_id>/", views.case_item, name="case_item"),
    path("staff/harm/<int:report_id>/", views.review, name="review"),
]
