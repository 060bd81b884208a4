from django.urls import path

from search import api

app_name = "search_api"
urlpatterns = [
    # Both spellings: the documented URL has no trailing slash, Django's habit adds one.
    path("search", api.SearchApi.as_view(), name="search"),
    path("search/", api.SearchSlashApi.as_view(), name="search-slash"),
    path("questions/similar/", api.SimilarQuestionsApi.as_view(), name="similar_questions"),
]
