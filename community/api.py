"""Community REST API: one thin view per operation, serializers nested inside.

Errors come back as JSON (see ``core.api.exception_handler``): 400 for bad input
and broken rules, 401/403 for permissions, 404 for unknown ids.
"""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, permissions as drf_permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from community import permissions, selectors, services
from community.models import Flag, Post, Thread
from community.rendering import render_body
from core import ratelimit
from core.ratelimit import ScopedThrottle
from core.views import found_or_404


def visible_thread(request, thread_id: int) -> Thread:
    return found_or_404(selectors.thread_get_for_user(thread_id=thread_id, user=request.user))


def visible_post(request, post_id: int) -> Post:
    return found_or_404(selectors.post_get_for_user(post_id=post_id, user=request.user))


class PostOutput(serializers.ModelSerializer):
    author = serializers.CharField(source="display_author")
    body_html = serializers.SerializerMethodField()
    comments = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = ["id", "is_question", "author", "body", "body_format", "body_html", "score", "local_score", "total_score", "is_accepted",
                  "created_at", "edited_at", "license", "url", "status", "comments"]

    def get_body_html(self, post) -> str:
        return render_body(post.body, post.body_format)

    def get_comments(self, post) -> list[dict]:
        return [{"id": c.id, "author": c.display_author, "body": c.body, "created_at": c.created_at}
                for c in post.comments.all() if not c.is_hidden]


class ThreadOutput(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    source = serializers.CharField(source="source.slug")
    author = serializers.SerializerMethodField()

    class Meta:
        model = Thread
        fields = ["id", "title", "tags", "source", "external_id", "url", "author", "created_at",
                  "last_activity_at", "score", "local_score", "total_score", "answer_count", "view_count", "license", "is_closed",
                  "closed_reason", "duplicate_of", "is_locked", "status"]

    def get_author(self, thread) -> str:
        return thread.author.public_name if thread.author_id else thread.author_name


class SignupApi(APIView):
    permission_classes = [drf_permissions.AllowAny]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "signup"

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        email = serializers.EmailField()
        password = serializers.CharField(write_only=True)
        display_name = serializers.CharField(max_length=80, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={201: inline_serializer(
        "SignupOutput", {"id": serializers.IntegerField(), "username": serializers.CharField(), "token": serializers.CharField()})})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_signup(**data.validated_data)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"id": user.id, "username": user.username, "token": token.key}, status=201)


class TokenApi(ObtainAuthToken):
    """DRF's token sign-in, with the login page's limit on failed attempts per account and client."""

    def post(self, request, *args, **kwargs):
        username = str(request.data.get("username", "")) if hasattr(request.data, "get") else ""
        if ratelimit.login_blocked(request, username):
            raise exceptions.Throttled(wait=ratelimit.login_wait_seconds(), detail=ratelimit.login_blocked_message())
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            ratelimit.login_failed(request, username)
            raise exceptions.ValidationError(serializer.errors)
        ratelimit.login_succeeded(request, username)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class QuestionListApi(APIView):
    throttle_classes = [ScopedThrottle]
    throttle_scope = "post"

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField()
        body = serializers.CharField()
        tags = serializers.ListField(child=serializers.CharField(max_length=50), max_length=20)

    @extend_schema(responses=ThreadOutput(many=True), parameters=[
        inline_serializer("QuestionFilters", {"sort": serializers.ChoiceField(choices=list(selectors.SORTS)),
                                              "tag": serializers.CharField(), "source": serializers.CharField()})])
    def get(self, request):
        threads = selectors.thread_list(
            sort=request.query_params.get("sort", "newest"),
            tag=request.query_params.get("tag") or None,
            source=request.query_params.get("source") or None,
            community_only=not request.query_params.get("source"),
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(threads, request, view=self)
        return paginator.get_paginated_response(ThreadOutput(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ThreadOutput})
    def post(self, request):
        permissions.check_can_ask(request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        thread = services.question_create(author=request.user, **data.validated_data)
        return Response(ThreadOutput(thread).data, status=status.HTTP_201_CREATED)


class QuestionDetailApi(APIView):
    @extend_schema(responses=inline_serializer("QuestionDetail", {
        "thread": ThreadOutput(), "posts": PostOutput(many=True)}))
    def get(self, request, thread_id: int):
        thread = visible_thread(request, thread_id)
        posts = selectors.thread_posts(thread=thread, user=request.user)
        return Response({"thread": ThreadOutput(thread).data, "posts": PostOutput(posts, many=True).data})


class AnswerCreateApi(APIView):
    throttle_classes = [ScopedThrottle]
    throttle_scope = "post"

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: PostOutput})
    def post(self, request, thread_id: int):
        thread = visible_thread(request, thread_id)
        permissions.check_can_answer(request.user, thread)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = services.answer_create(author=request.user, thread=thread, body=data.validated_data["body"])
        return Response(PostOutput(post).data, status=201)


class PostDetailApi(APIView):
    throttle_classes = [ScopedThrottle]
    throttle_scope = "post"

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField()
        title = serializers.CharField(required=False)
        tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=20)
        reason = serializers.CharField(required=False, allow_blank=True, max_length=300)

    @extend_schema(responses=PostOutput)
    def get(self, request, post_id: int):
        return Response(PostOutput(visible_post(request, post_id)).data)

    @extend_schema(request=InputSerializer, responses=PostOutput)
    def patch(self, request, post_id: int):
        post = visible_post(request, post_id)
        permissions.check_can_edit_post(request.user, post)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = services.post_edit(editor=request.user, post=post, **data.validated_data)
        return Response(PostOutput(post).data)


class PostRevisionsApi(APIView):
    @extend_schema(responses=inline_serializer("Revision", {
        "number": serializers.IntegerField(), "editor": serializers.CharField(), "title": serializers.CharField(),
        "body": serializers.CharField(), "tags": serializers.CharField(), "reason": serializers.CharField(),
        "created_at": serializers.DateTimeField()}, many=True))
    def get(self, request, post_id: int):
        post = visible_post(request, post_id)
        return Response([
            {"number": r.number, "editor": r.editor_name, "title": r.title, "body": r.body, "tags": r.tags,
             "reason": r.reason, "created_at": r.created_at}
            for r in post.revisions.all()
        ])


class VoteApi(APIView):
    throttle_classes = [ScopedThrottle]
    throttle_scope = "vote"

    class InputSerializer(serializers.Serializer):
        value = serializers.ChoiceField(choices=[1, -1])

    @extend_schema(request=InputSerializer, responses={201: inline_serializer(
        "VoteOutput", {"post": serializers.IntegerField(), "value": serializers.IntegerField(), "score": serializers.IntegerField()})})
    def post(self, request, post_id: int):
        post = visible_post(request, post_id)
        permissions.check_can_vote(request.user, post)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vote = services.vote_cast(user=request.user, post=post, value=data.validated_data["value"])
        return Response({"post": post.id, "value": vote.value, "score": post.total_score}, status=201)

    @extend_schema(responses={204: None})
    def delete(self, request, post_id: int):
        post = visible_post(request, post_id)
        permissions.check_can_vote(request.user, post)
        services.vote_retract(user=request.user, post=post)
        return Response(status=204)


class AcceptApi(APIView):
    @extend_schema(request=None, responses=PostOutput)
    def post(self, request, post_id: int):
        post = visible_post(request, post_id)
        permissions.check_can_accept(request.user, post.thread)
        return Response(PostOutput(services.answer_accept(user=request.user, post=post)).data)


class CommentCreateApi(APIView):
    throttle_classes = [ScopedThrottle]
    throttle_scope = "post"

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: inline_serializer(
        "CommentOutput", {"id": serializers.IntegerField(), "body": serializers.CharField()})})
    def post(self, request, post_id: int):
        post = visible_post(request, post_id)
        permissions.check_can_comment(request.user, post)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(author=request.user, post=post, body=data.validated_data["body"])
        return Response({"id": comment.id, "body": comment.body}, status=201)


class FlagCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=Flag.Reason.choices)
        duplicate_of = serializers.IntegerField(required=False)
        note = serializers.CharField(required=False, allow_blank=True, max_length=500)

    @extend_schema(request=InputSerializer, responses={201: inline_serializer(
        "FlagOutput", {"id": serializers.IntegerField(), "status": serializers.CharField()})})
    def post(self, request, post_id: int):
        post = visible_post(request, post_id)
        permissions.check_can_flag(request.user, post)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        original = None
        if data.validated_data.get("duplicate_of"):
            original = visible_thread(request, data.validated_data["duplicate_of"])
        flag = services.flag_create(user=request.user, post=post, reason=data.validated_data["reason"],
                                    duplicate_of=original, note=data.validated_data.get("note", ""))
        return Response({"id": flag.id, "status": flag.status}, status=201)


class ModerationQueueApi(APIView):
    @extend_schema(responses=inline_serializer("ModerationQueue", {
        "flags": serializers.ListField(child=serializers.DictField()),
        "held": serializers.ListField(child=serializers.DictField())}))
    def get(self, request):
        permissions.check_can_moderate(request.user)
        queue = selectors.moderation_queue()
        return Response({
            "flags": [{"id": f.id, "post": f.post_id, "thread": f.post.thread_id, "reason": f.reason,
                       "duplicate_of": f.duplicate_of_id, "note": f.note, "flagged_by": f.flagged_by.username}
                      for f in queue["flags"]],
            "held": [{"post": p.id, "thread": p.thread_id, "author": p.display_author} for p in queue["held"]],
        })


class ModerateApi(APIView):
    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=services.MODERATION_ACTIONS)
        original = serializers.IntegerField(required=False)

    @extend_schema(request=InputSerializer, responses=PostOutput)
    def post(self, request, post_id: int):
        permissions.check_can_moderate(request.user)
        post = get_object_or_404(Post.objects.select_related("thread"), pk=post_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.post_moderate(moderator=request.user, post=post, action=data.validated_data["action"],
                               original_id=data.validated_data.get("original"))
        post.refresh_from_db()
        return Response(PostOutput(post).data)


class TagListApi(APIView):
    @extend_schema(responses=inline_serializer("TagOutput", {
        "name": serializers.CharField(), "label": serializers.CharField(), "description": serializers.CharField(),
        "thread_count": serializers.IntegerField()}, many=True))
    def get(self, request):
        # ``name`` is the slug the filters take (?tag=); ``label`` is what readers see.
        return Response([{"name": t.name, "label": str(t), "description": t.description,
                          "thread_count": t.thread_count} for t in selectors.tag_list()])


class ProfileApi(APIView):
    @extend_schema(responses=inline_serializer("Profile", {
        "username": serializers.CharField(), "display_name": serializers.CharField(),
        "reputation": serializers.IntegerField(), "questions": ThreadOutput(many=True),
        "answers": serializers.ListField(child=serializers.DictField())}))
    def get(self, request, username: str):
        user = found_or_404(selectors.profile_get(username=username))
        activity = selectors.profile_activity(user=user)
        return Response({
            "username": user.username, "display_name": user.public_name, "reputation": user.reputation,
            "questions": ThreadOutput(activity["questions"], many=True).data,
            "answers": [{"post": p.id, "thread": p.thread_id, "title": p.thread.title, "score": p.total_score,
                         "is_accepted": p.is_accepted} for p in activity["answers"]],
        })


from core.api import name_nested_serializers  # noqa: E402

name_nested_serializers(globals())
