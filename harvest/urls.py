from django.urls import path

from harvest import views

app_name = "harvest"
urlpatterns = [
    path("", views.source_list, name="sources"),
    path("add/", views.source_add, name="add"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("errors/<int:error_id>/retry/", views.error_retry, name="retry"),
    path("<slug:slug>/", views.source_detail, name="source"),
    path("<slug:slug>/progress/", views.source_progress, name="progress"),
    path("<slug:slug>/test/", views.source_test, name="test"),
    path("<slug:slug>/run/", views.source_run, name="run_now"),
    path("<slug:slug>/schedule/", views.source_schedule, name="schedule"),
]
