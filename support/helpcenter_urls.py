"""Help center pages (customers): home, contact support, my questions and contacts.

The home page itself is mounted at ``/`` by ``config/urls.py`` (URL name ``home``).
"""
from django.urls import path
from django.views.generic import RedirectView

from support import helpcenter_views as views

app_name = "help"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="home"), name="index"),
    path("articles/<slug:slug>/feedback/", views.article_feedback, name="feedback"),
    path("contact/", views.contact, name="contact"),
    path("contact/sent/", views.contact_sent, name="contact_sent"),
    path("contact/suggest/", views.contact_suggest, name="contact_suggest"),
    path("contact/suggestions/<int:article_id>/", views.contact_suggestion_open, name="contact_suggestion_open"),
    path("me/", views.my_help, name="me"),
    path("me/contacts/<int:contact_id>/", views.my_contact, name="my_contact"),
]
