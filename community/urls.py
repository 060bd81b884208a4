from django.urls import path

from community import views

app_name = "community"
urlpatterns = [
    path("questions/", views.question_list, name="questions"),
    path("questions/ask/", views.question_ask, name="ask"),
    path("questions/<int:thread_id>/", views.question_detail, name="question"),
    path("questions/<int:thread_id>/answer/", views.answer_create, name="answer"),
    path("tags/", views.tag_index, name="tags"),
    path("tags/<str:tag>/", views.question_list, name="tag"),
    path("posts/<int:post_id>/vote/", views.vote, name="vote"),
    path("posts/<int:post_id>/accept/", views.accept, name="accept"),
    path("posts/<int:post_id>/comment/", views.comment_create, name="comment"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="edit"),
    path("posts/<int:post_id>/history/", views.post_history, name="history"),
    path("posts/<int:post_id>/flag/", views.post_flag, name="flag"),
    path("posts/<int:post_id>/moderate/", views.moderate, name="moderate"),
    path("posts/<int:post_id>/close-duplicate/", views.close_duplicate_confirm, name="close_duplicate"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("accounts/signup/", views.signup, name="signup"),
    path("community/join/", views.join, name="join"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    # Any stored name, even one from before usernames were validated ("a/b"), has a profile URL.
    path("members/<path:username>/", views.profile, name="profile"),
]
