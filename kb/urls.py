from django.urls import path

from kb import views

app_name = "kb"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("preview/", views.preview, name="preview"),
    path("assign/", views.assign, name="assign"),
    path("bulk/", views.bulk, name="bulk"),
    path("clusters/start/", views.cluster_start, name="start"),
    path("clusters/<int:pk>/", views.cluster_page, name="cluster"),
    path("clusters/<int:pk>/action/", views.cluster_action, name="cluster_action"),
    path("articles/<int:pk>/edit/", views.article_edit, name="edit"),
    path("articles/<int:pk>/action/", views.article_action, name="article_action"),
    path("articles/<int:pk>/versions/", views.article_versions, name="versions"),
    path("articles/<int:pk>/versions/<int:number>/restore/", views.version_restore, name="restore"),
    # Last, so the workspace's own paths are never read as article slugs.
    path("<slug:slug>/", views.article_read, name="article"),
]
