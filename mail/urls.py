from django.urls import path

from mail import views

app_name = "mail"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<str:token>/undo/", views.unsubscribe_undo_view, name="unsubscribe_undo"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
]
