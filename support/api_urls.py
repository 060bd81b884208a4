from django.urls import path

from support import api

app_name = "support-api"
urlpatterns = [
    path("contacts/", api.ContactListApi.as_view(), name="contacts"),
    path("contacts/<int:contact_id>/", api.ContactDetailApi.as_view(), name="contact"),
    path("contacts/<int:contact_id>/messages/", api.MessageCreateApi.as_view(), name="messages"),
    path("contacts/<int:contact_id>/suggestions", api.ContactSuggestionsApi.as_view(), name="suggestions"),
    path("contacts/<int:contact_id>/suggestions/<int:article_id>/insert", api.SuggestionInsertApi.as_view(),
         name="suggestion-insert"),
    path("contacts/<int:contact_id>/suggestions/<int:article_id>/link", api.SuggestionLinkApi.as_view(),
         name="suggestion-link"),
    path("contacts/<int:contact_id>/suggestions/<int:article_id>/dismiss", api.SuggestionDismissApi.as_view(),
         name="suggestion-dismiss"),
    path("contacts/<int:contact_id>/capture", api.ContactCaptureApi.as_view(), name="capture"),
    path("agent/suggest", api.AgentSuggestApi.as_view(), name="suggest"),
    path("agent/articles/<int:article_id>/flags", api.ArticleFlagCreateApi.as_view(), name="article-flags"),
]
