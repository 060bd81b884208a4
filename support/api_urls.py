from django.urls import path

from support import api

app_name = "support-api"
urlpatterns = [
    path("contacts/", api.ContactListApi.as_view(), name="contacts"),
    path("contacts/<int:contact_id>/", api.ContactDetailApi.as_view(), name="contact"),
    path("contacts/<int:contact_id>/messages/", api.MessageCreateApi.as_view(), name="messages"),
    path("agent/suggest", api.AgentSuggestApi.as_view(), name="suggest"),
]
