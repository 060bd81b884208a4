"""Agent console pages: contact list, contact view with suggestions, customer view."""
from django.urls import path

from support import console_views as views

app_name = "console"
urlpatterns = [
    path("", views.contact_list, name="contacts"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/reply/", views.reply, name="reply"),
    path("contacts/<int:pk>/status/", views.set_status, name="status"),
    path("contacts/<int:pk>/assign/", views.assign, name="assign"),
    path("contacts/<int:pk>/capture/", views.capture, name="capture"),
    path("contacts/<int:pk>/suggestions/", views.suggestions, name="suggestions"),
    path("contacts/<int:pk>/suggestions/live/", views.suggestions_live, name="suggestions_live"),
    path("contacts/<int:pk>/search/", views.sidebar_search, name="search"),
    path("contacts/<int:pk>/suggestions/<int:article_id>/insert/", views.suggestion_insert, name="insert"),
    path("contacts/<int:pk>/suggestions/<int:article_id>/link/", views.suggestion_link, name="link"),
    path("contacts/<int:pk>/suggestions/<int:article_id>/dismiss/", views.suggestion_dismiss, name="dismiss"),
    path("contacts/<int:pk>/articles/<int:article_id>/flag/", views.article_flag, name="flag"),
    path("contacts/<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("customers/<int:pk>/", views.customer, name="customer"),
]
