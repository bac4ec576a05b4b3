from django.urls import include, path

from . import views

app_name = "newsletters"

urlpatterns = [
    path("", views.index, name="index"),
    path("signup/", views.signup, name="signup"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("o/<str:token>.gif", views.opened, name="opened"),
    path("c/<str:token>/", views.click, name="click"),
    # The mail service's bounce and complaint reports (bounces.py): give it
    # <service>/tracking/ with the basic-auth secret, BROADSHEET_ANYMAIL_WEBHOOK_SECRET.
    path("anymail/", include("anymail.urls")),
]
