from django.urls import path

from search import views

app_name = "search"
urlpatterns = [
    path("search/", views.search_results, name="results"),
    path("search/suggest", views.suggest, name="suggest"),
    path("search/suggest/", views.suggest),
    # The ask form's as-you-type partial: a community page, answered by search.
    path("questions/similar/", views.similar_questions, name="similar_questions"),
]
