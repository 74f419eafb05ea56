from django.urls import path

from hippocratic.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("logout/everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("sign-up/", views.sign_up, name="sign_up"),
    path("join/<str:token>/", views.sign_up, name="join"),
    path("inquiry/", views.inquiry, name="inquiry"),
    path("profile/", views.profile, name="profile"),
    path("services/", views.catalogue, name="services"),
    path("services/subscribe/", views.subscribe, name="subscribe"),
    path("services/<int:subscription_id>/discontinue/", views.discontinue, name="discontinue"),
    path("organisation/", views.organisation, name="organisation"),
    path("data/", views.my_data, name="my_data"),
    path("data/export.json", views.export, name="export"),
    path("erase/", views.erase, name="erase"),
    path("close/", views.close, name="close"),
    path("recover/", views.recover, name="recover"),
    path("recover/done/", views.recovered, name="recovered"),
    path("recover/<uidb64>/<token>/", views.recover_confirm, name="recover_confirm"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
]
