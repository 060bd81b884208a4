from django.urls import path

from community import api

app_name = "api"
urlpatterns = [
    path("auth/signup/", api.SignupApi.as_view(), name="signup"),
    path("auth/token/", api.TokenApi.as_view(), name="token"),
    path("questions/", api.QuestionListApi.as_view(), name="questions"),
    path("questions/<int:thread_id>/", api.QuestionDetailApi.as_view(), name="question"),
    path("questions/<int:thread_id>/answers/", api.AnswerCreateApi.as_view(), name="answers"),
    path("posts/<int:post_id>/", api.PostDetailApi.as_view(), name="post"),
    path("posts/<int:post_id>/revisions/", api.PostRevisionsApi.as_view(), name="revisions"),
    path("posts/<int:post_id>/vote/", api.VoteApi.as_view(), name="vote"),
    path("posts/<int:post_id>/accept/", api.AcceptApi.as_view(), name="accept"),
    path("posts/<int:post_id>/comments/", api.CommentCreateApi.as_view(), name="comments"),
    path("posts/<int:post_id>/flags/", api.FlagCreateApi.as_view(), name="flags"),
    path("posts/<int:post_id>/moderate/", api.ModerateApi.as_view(), name="moderate"),
    path("moderation/", api.ModerationQueueApi.as_view(), name="moderation"),
    path("tags/", api.TagListApi.as_view(), name="tags"),
    path("users/<path:username>/", api.ProfileApi.as_view(), name="profile"),
]
