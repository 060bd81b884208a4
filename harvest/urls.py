from django.urls import path

from harvest import views

app_name = "harvest"
urlpatterns = [
    path("", views.source_list, name="sources"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("<slug:slug>/", views.source_detail, name="source"),
]
