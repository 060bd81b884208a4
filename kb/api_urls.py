from django.urls import path

from kb import api

app_name = "kb-api"
urlpatterns = [
    path("queue/", api.QueueApi.as_view(), name="queue"),
    path("clusters/", api.ClusterStartApi.as_view(), name="clusters"),
    path("clusters/<int:cluster_id>/", api.ClusterDetailApi.as_view(), name="cluster"),
    path("clusters/<int:cluster_id>/article/", api.ClusterDraftApi.as_view(), name="cluster-draft"),
    path("clusters/<int:cluster_id>/suggestions/", api.ClusterSuggestionsApi.as_view(), name="cluster-suggestions"),
    path("clusters/<int:cluster_id>/members/", api.ClusterMemberAddApi.as_view(), name="cluster-members"),
    path("clusters/<int:cluster_id>/not-same/", api.ClusterNotSameApi.as_view(), name="cluster-not-same"),
    path("clusters/<int:cluster_id>/split/", api.ClusterSplitApi.as_view(), name="cluster-split"),
    path("clusters/<int:cluster_id>/dismiss/", api.ClusterDismissApi.as_view(), name="cluster-dismiss"),
    path("clusters/<int:cluster_id>/merge/", api.ClusterMergeApi.as_view(), name="cluster-merge"),
    path("clusters/<int:cluster_id>/assign/", api.ClusterAssignApi.as_view(), name="cluster-assign"),
    path("articles/", api.ArticleListApi.as_view(), name="articles"),
    path("articles/<int:article_id>/", api.ArticleDetailApi.as_view(), name="article"),
    path("articles/<int:article_id>/transition/", api.ArticleTransitionApi.as_view(), name="article-transition"),
    path("articles/<int:article_id>/merge/", api.ArticleMergeApi.as_view(), name="article-merge"),
    path("articles/<int:article_id>/assign/", api.ArticleAssignApi.as_view(), name="article-assign"),
    path("articles/<int:article_id>/review/", api.ArticleReviewApi.as_view(), name="article-review"),
    path("articles/<int:article_id>/versions/", api.ArticleVersionListApi.as_view(), name="versions"),
    path("articles/<int:article_id>/versions/<int:number>/diff/", api.ArticleVersionDiffApi.as_view(), name="version-diff"),
    path("articles/<int:article_id>/versions/<int:number>/restore/", api.ArticleVersionRestoreApi.as_view(),
         name="version-restore"),
]
