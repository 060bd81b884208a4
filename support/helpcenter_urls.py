"""Help center pages (customers): home, contact support, my questions and contacts."""
from django.urls import path  # noqa: F401

app_name = "help"
urlpatterns: list = []
