"""Knowledge-base REST API: the editors' workspace and article reads.

One thin view per operation, input serializers nested inside: check, validate,
call a service, serialize. Errors come back as JSON (``core.api.exception_handler``):
400 for bad input and refused transitions, 403 without permission, 404 for unknown
or invisible ids.
"""
from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import Thread
from core.api import name_nested_serializers
from core.errors import ServiceError
from kb import permissions, selectors, services, suggestion_selectors
from kb.models import Article, ArticleVersion, Cluster
from kb.selectors import version_diff_html
from kb.serializers import (
    ArticleOutput,
    ArticleSummaryOutput,
    ClusterDetailOutput,
    ClusterOutput,
    QueueItemOutput,
    VersionOutput,
)
from kb.workflow import TRANSITIONS


# --- lookups -----------------------------------------------------------------------------


def _article_for_editor(request, article_id: int) -> Article:
    permissions.check_can_edit(request.user)
    return get_object_or_404(Article, pk=article_id)


def _cluster_for_editor(request, cluster_id: int) -> Cluster:
    permissions.check_can_edit(request.user)
    return get_object_or_404(Cluster, pk=cluster_id)


def _article_out(request, article: Article, code: int = 200) -> Response:
    article.refresh_from_db()
    return Response(ArticleOutput(article, context={"request": request}).data, status=code)


class MergeInput(serializers.Serializer):
    other_article = serializers.IntegerField(required=False)
    other_cluster = serializers.IntegerField(required=False)

    def validate(self, data):
        if ("other_article" in data) == ("other_cluster" in data):
            raise serializers.ValidationError("Give exactly one of other_article or other_cluster.")
        return data


def _merge_other(data) -> Article | Cluster:
    if "other_article" in data:
        return get_object_or_404(Article, pk=data["other_article"])
    return get_object_or_404(Cluster, pk=data["other_cluster"])


def _merged(request, result) -> Response:
    if isinstance(result, Article):
        return Response({"article": ArticleOutput(result, context={"request": request}).data, "cluster": None})
    return Response({"article": None, "cluster": ClusterOutput(result).data})


MERGE_RESPONSE = inline_serializer("MergeResult", {"article": ArticleOutput(allow_null=True),
                                                   "cluster": ClusterOutput(allow_null=True)})


# --- queue and clusters ------------------------------------------------------------------


class QueueApi(APIView):
    @extend_schema(summary="Editors' queue: needs-review first, then by demand", responses=QueueItemOutput(many=True),
                   parameters=[OpenApiParameter(name, str, required=False, description=desc) for name, desc in (
                       ("source", "source slug"), ("tag", "tag name"),
                       ("status", f"one of {', '.join(selectors.QUEUE_STATUSES)}"),
                       ("assignee", "username, 'me' or 'none'"), ("topic", "topic id (its problem clusters)"))])
    def get(self, request):
        permissions.check_can_edit(request.user)
        params = request.query_params
        status_ = params.get("status") or None
        if status_ and status_ not in selectors.QUEUE_STATUSES:
            raise ServiceError(f"Unknown status {status_!r}: use one of {', '.join(selectors.QUEUE_STATUSES)}.",
                               field="status")
        items = selectors.queue(user=request.user, source=params.get("source") or None, tag=params.get("tag") or None,
                                status=status_, assignee=params.get("assignee") or None,
                                topic=params.get("topic") or None)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(QueueItemOutput(page, many=True).data)


class ClusterDetailApi(APIView):
    @extend_schema(summary="A candidate's threads and evidence", responses=ClusterDetailOutput)
    def get(self, request, cluster_id: int):
        cluster = _cluster_for_editor(request, cluster_id)
        return Response(ClusterDetailOutput(selectors.cluster_detail(cluster=cluster)).data)


class ClusterDraftApi(APIView):
    @extend_schema(summary="The cluster's article (drafted now if it has none)", request=None,
                   responses={201: ArticleOutput})
    def post(self, request, cluster_id: int):
        cluster = _cluster_for_editor(request, cluster_id)
        article = services.article_from_cluster(editor=request.user, cluster=cluster)
        return _article_out(request, article, 201)


class ClusterStartApi(APIView):
    class InputSerializer(serializers.Serializer):
        thread_id = serializers.IntegerField(help_text="a visible question that no candidate holds")

    @extend_schema(summary="Start a candidate for a question no cluster holds", request=InputSerializer,
                   responses={201: ClusterOutput})
    def post(self, request):
        permissions.check_can_edit(request.user)
        thread = _posted_thread(request, self.InputSerializer)
        cluster = services.cluster_start(editor=request.user, thread=thread)
        return Response(ClusterOutput(cluster).data, status=status.HTTP_201_CREATED)


class ClusterSuggestionsApi(APIView):
    class OutputSerializer(serializers.Serializer):
        thread_id = serializers.IntegerField(source="thread.pk")
        title = serializers.CharField(source="thread.title")
        similarity = serializers.FloatField()
        reason = serializers.CharField()
        cluster_id = serializers.IntegerField(source="holder.pk", allow_null=True, default=None,
                                              help_text="the open candidate that holds it now")

    @extend_schema(summary="Questions that may ask this candidate's problem (the looser rule)",
                   responses=OutputSerializer(many=True))
    def get(self, request, cluster_id: int):
        cluster = _cluster_for_editor(request, cluster_id)
        rows = suggestion_selectors.cluster_suggestions(cluster=cluster)
        return Response(self.OutputSerializer(rows, many=True).data)


class _ThreadInput(serializers.Serializer):
    thread_id = serializers.IntegerField(help_text="a visible question")


def _posted_thread(request, serializer: type[serializers.Serializer]) -> Thread:
    """The visible question a body's ``thread_id`` names: 400 when it is no number, 404 when there is none."""
    data = serializer(data=request.data)
    data.is_valid(raise_exception=True)
    return get_object_or_404(Thread.objects.visible(), pk=data.validated_data["thread_id"])


class ClusterMemberAddApi(APIView):
    InputSerializer = _ThreadInput

    @extend_schema(summary="Add a question to this candidate (an editor's decision: pinned, both clusters frozen)",
                   request=InputSerializer, responses={201: ClusterOutput})
    def post(self, request, cluster_id: int):
        cluster = _cluster_for_editor(request, cluster_id)
        thread = _posted_thread(request, self.InputSerializer)
        services.cluster_member_add(editor=request.user, cluster=cluster, thread=thread)
        cluster.refresh_from_db()
        return Response(ClusterOutput(cluster).data, status=status.HTTP_201_CREATED)


class ClusterNotSameApi(APIView):
    InputSerializer = _ThreadInput

    @extend_schema(summary="Not this candidate's problem: never suggested or joined here again",
                   request=InputSerializer, responses={204: None})
    def post(self, request, cluster_id: int):
        cluster = _cluster_for_editor(request, cluster_id)
        thread = _posted_thread(request, self.InputSerializer)
        services.cluster_not_same(editor=request.user, cluster=cluster, thread=thread)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClusterSplitApi(APIView):
    class InputSerializer(serializers.Serializer):
        thread_ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
                                           min_length=1, max_length=1000)

    @extend_schema(summary="Split threads out into a new candidate", request=InputSerializer,
                   responses={201: ClusterOutput})
    def post(self, request, cluster_id: int):
        cluster = _cluster_for_editor(request, cluster_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.cluster_split(editor=request.user, cluster=cluster, thread_ids=data.validated_data["thread_ids"])
        return Response(ClusterOutput(new).data, status=status.HTTP_201_CREATED)


class ClusterDismissApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=300)

    @extend_schema(summary="Dismiss a candidate with a reason", request=InputSerializer, responses=ClusterOutput)
    def post(self, request, cluster_id: int):
        cluster = _cluster_for_editor(request, cluster_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.cluster_dismiss(editor=request.user, cluster=cluster, reason=data.validated_data["reason"])
        cluster.refresh_from_db()
        return Response(ClusterOutput(cluster).data)


class ClusterMergeApi(APIView):
    @extend_schema(summary="Merge another candidate or article into this candidate", request=MergeInput,
                   responses=MERGE_RESPONSE)
    def post(self, request, cluster_id: int):
        cluster = _cluster_for_editor(request, cluster_id)
        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _merged(request, services.article_merge(editor=request.user, target=cluster,
                                                       other=_merge_other(data.validated_data)))


class AssignInput(serializers.Serializer):
    assignee = serializers.CharField(allow_null=True, allow_blank=True, help_text="username; null unassigns")


class ClusterAssignApi(APIView):
    @extend_schema(summary="Assign a candidate to an editor", request=AssignInput, responses=ClusterOutput)
    def post(self, request, cluster_id: int):
        cluster = _cluster_for_editor(request, cluster_id)
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.item_assign(editor=request.user, item=cluster, username=data.validated_data["assignee"])
        cluster.refresh_from_db()
        return Response(ClusterOutput(cluster).data)


# --- articles ----------------------------------------------------------------------------


class ArticleListApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=300)
        problem = serializers.CharField(required=False, allow_blank=True, default="")
        solution = serializers.CharField(required=False, allow_blank=True, default="")
        other_solutions = serializers.CharField(required=False, allow_blank=True, default="")
        variants = serializers.ListField(child=serializers.CharField(max_length=300), required=False, default=list)
        tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list,
                                     max_length=20)

    @extend_schema(summary="Articles you may read (editors: every status)", responses=ArticleSummaryOutput(many=True),
                   parameters=[OpenApiParameter("status", str, enum=list(Article.Status.values), required=False)])
    def get(self, request):
        status_ = request.query_params.get("status") or None
        if status_ and status_ not in Article.Status.values:
            raise ServiceError(f"Unknown status {status_!r}.", field="status")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.articles_for_user(user=request.user, status=status_), request,
                                           view=self)
        return paginator.get_paginated_response(ArticleSummaryOutput(page, many=True).data)

    @extend_schema(summary="Write a new draft from scratch", request=InputSerializer, responses={201: ArticleOutput})
    def post(self, request):
        permissions.check_can_edit(request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _article_out(request, services.article_create(editor=request.user, **data.validated_data), 201)


class ArticleDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=300, required=False)
        problem = serializers.CharField(required=False, allow_blank=True)
        solution = serializers.CharField(required=False, allow_blank=True)
        other_solutions = serializers.CharField(required=False, allow_blank=True)
        variants = serializers.ListField(child=serializers.CharField(max_length=300), required=False)
        tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=20)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(summary="An article, if you may read it", responses=ArticleOutput)
    def get(self, request, article_id: int):
        article = selectors.article_get_for_user(article_id=article_id, user=request.user)
        if article is None:
            raise Http404
        return Response(ArticleOutput(article, context={"request": request}).data)

    @extend_schema(summary="Edit (fields left out keep their value); saves a version", request=InputSerializer,
                   responses=ArticleOutput)
    def patch(self, request, article_id: int):
        article = _article_for_editor(request, article_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        current = {"title": article.title, "problem": article.problem, "solution": article.solution,
                   "other_solutions": article.other_solutions, "variants": list(article.variants or []),
                   "tags": list(article.tags.values_list("name", flat=True))}
        services.article_edit(editor=request.user, article=article, note=values.pop("note", ""),
                              **{**current, **values})
        return _article_out(request, article)


class ArticleTransitionApi(APIView):
    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=list(TRANSITIONS))
        visibility = serializers.ChoiceField(choices=Article.Visibility.values, required=False, allow_null=True,
                                             help_text="publish only: public or internal")

    @extend_schema(summary="Move an article through the workflow", request=InputSerializer, responses=ArticleOutput)
    def post(self, request, article_id: int):
        if not permissions.can_publish(request.user):
            permissions.check_can_edit(request.user)  # non-editors get a 403 before any lookup
        article = get_object_or_404(Article, pk=article_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = data.validated_data["action"]
        permissions.check_can_transition(request.user, article, action)
        services.article_transition(user=request.user, article=article, action=action,
                                    visibility=data.validated_data.get("visibility"))
        return _article_out(request, article)


class ArticleMergeApi(APIView):
    @extend_schema(summary="Merge another article or candidate into this article", request=MergeInput,
                   responses=MERGE_RESPONSE)
    def post(self, request, article_id: int):
        article = _article_for_editor(request, article_id)
        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _merged(request, services.article_merge(editor=request.user, target=article,
                                                       other=_merge_other(data.validated_data)))


class ArticleAssignApi(APIView):
    @extend_schema(summary="Assign an article to an editor", request=AssignInput, responses=ArticleOutput)
    def post(self, request, article_id: int):
        article = _article_for_editor(request, article_id)
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.item_assign(editor=request.user, item=article, username=data.validated_data["assignee"])
        return _article_out(request, article)


class ArticleReviewApi(APIView):
    class InputSerializer(serializers.Serializer):
        due = serializers.DateField(required=False, allow_null=True,
                                    help_text="schedule the next review; leave out to mark the article reviewed now")
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(summary="Schedule a review date, or mark reviewed", request=InputSerializer, responses=ArticleOutput)
    def post(self, request, article_id: int):
        article = _article_for_editor(request, article_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data.get("due"):
            services.article_schedule_review(editor=request.user, article=article, due=data.validated_data["due"])
        else:
            services.article_mark_reviewed(editor=request.user, article=article, note=data.validated_data["note"])
        return _article_out(request, article)


class ArticleVersionListApi(APIView):
    @extend_schema(summary="Every version, newest first", responses=VersionOutput(many=True))
    def get(self, request, article_id: int):
        article = _article_for_editor(request, article_id)
        return Response(VersionOutput(selectors.article_versions(article=article), many=True).data)


class ArticleVersionDiffApi(APIView):
    @extend_schema(summary="Readable diff of a version against another (default: the one before)",
                   parameters=[OpenApiParameter("against", int, required=False)],
                   responses=inline_serializer("VersionDiff", {"from": serializers.IntegerField(allow_null=True),
                                                               "to": serializers.IntegerField(),
                                                               "html": serializers.CharField()}))
    def get(self, request, article_id: int, number: int):
        article = _article_for_editor(request, article_id)
        new = get_object_or_404(ArticleVersion, article=article, number=number)
        against = request.query_params.get("against")
        if against is not None and not against.isdecimal():
            raise ServiceError("against must be a version number.", field="against")
        old_number = int(against) if against is not None else number - 1
        old = ArticleVersion.objects.filter(article=article, number=old_number).first()
        if old is None and against is not None:
            raise Http404
        html = version_diff_html(old, new) if old is not None else ""
        return Response({"from": old.number if old else None, "to": new.number, "html": html})


class ArticleVersionRestoreApi(APIView):
    class InputSerializer(serializers.Serializer):
        publish = serializers.BooleanField(default=False, help_text=(
            "Published articles only: make the restored text live at once. Without it the restored "
            "text is a proposed version to review and the live text stays."))

    @extend_schema(summary="Restore a version's content as a new version (a proposal, on a published article)",
                   request=InputSerializer, responses=ArticleOutput)
    def post(self, request, article_id: int, number: int):
        article = _article_for_editor(request, article_id)
        if not ArticleVersion.objects.filter(article=article, number=number).exists():
            raise Http404
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["publish"]:
            permissions.check_can_publish(request.user)
        services.article_restore_version(editor=request.user, article=article, number=number,
                                         publish=data.validated_data["publish"])
        return _article_out(request, article)


name_nested_serializers(globals())
