"""Agent console pages: contact list, contact view with suggestions, customer view."""
from django.urls import path  # noqa: F401

app_name = "console"
urlpatterns: list = []
