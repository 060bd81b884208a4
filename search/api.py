"""Search REST API: ``GET /api/search?q=&type=&tag=&source=&limit=``.

Bad input always gets a JSON 400 with a readable ``detail`` (empty query,
unknown filter, bad limit); very long queries are cleaned and truncated, not
refused. Visibility follows the caller's role, as on the results page.
"""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions as drf_permissions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from config.api import ServiceError
from search import selectors
from search.engine.query import QueryError
from search.models import Document

# Longest raw ``q`` read at all: anything longer is cut before cleaning (which keeps ~512 chars).
MAX_RAW_QUERY = 20_000
QUERY_PARAMS = ("q", "type", "tag", "source", "limit", "format")


class SearchThrottle(ScopedRateThrottle):
    def get_rate(self):
        # Read the rate now rather than at import, so settings overrides apply.
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)


class SearchResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="document_id", help_text="Search document id.")
    object_id = serializers.IntegerField(help_text="Thread id (question/thread) or article id.")
    type = serializers.ChoiceField(source="kind", choices=Document.Kind.choices)
    title = serializers.CharField()
    url = serializers.CharField()
    snippet = serializers.CharField(
        source="snippet_html", help_text="HTML: escaped text with matched terms in <mark>."
    )
    score = serializers.FloatField()
    tags = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField()


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField(help_text="The query as searched (cleaned, maybe truncated).")
    count = serializers.IntegerField()
    degraded = serializers.BooleanField(help_text="True when only keyword search was available.")
    results = SearchResultSerializer(many=True)


class SearchApi(APIView):
    permission_classes = [drf_permissions.AllowAny]
    # JSON only: no browsable-API page (its renderer and content negotiation cost time on every call).
    renderer_classes = [JSONRenderer]
    throttle_classes = [SearchThrottle]
    throttle_scope = "search"

    @extend_schema(
        operation_id="search",
        summary="Search articles, community questions and harvested threads",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description="What to look for (cut to ~512 characters)."),
            OpenApiParameter("type", OpenApiTypes.STR, enum=list(Document.Kind.values), description="Only this type."),
            OpenApiParameter("tag", OpenApiTypes.STR, description="Only documents with this tag."),
            OpenApiParameter("source", OpenApiTypes.STR, description="Only this source (slug)."),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1..{selectors.MAX_LIMIT}, default 10."),
        ],
        responses={200: SearchResponseSerializer, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        params = request.query_params
        unknown = sorted(set(params) - set(QUERY_PARAMS))
        if unknown:
            raise ServiceError(
                f"Unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
                f"use q, type, tag, source and limit.",
                code="invalid_filter",
                field=unknown[0][:40],
            )
        raw_limit = params.get("limit", "10").strip()
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= selectors.MAX_LIMIT:
            raise ServiceError(
                f"limit must be a whole number from 1 to {selectors.MAX_LIMIT}.", code="invalid", field="limit"
            )
        kind = params.get("type") or None
        try:
            results = selectors.search_documents(
                query=params.get("q", "")[:MAX_RAW_QUERY],
                user=request.user,
                kinds=[kind] if kind else None,
                tag=params.get("tag") or None,
                source=params.get("source") or None,
                limit=int(raw_limit),
                channel="api",
            )
        except QueryError as exc:
            raise ServiceError(str(exc), code="empty_query", field="q") from exc
        # Plain dicts in the ``SearchResponseSerializer`` shape (which documents it): running ten
        # results through DRF serializer fields cost ~1 ms for nothing to validate.
        return Response(
            {
                "query": results.query,
                "count": len(results),
                "degraded": results.degraded,
                "results": [result_json(result) for result in results],
            }
        )


def result_json(result: selectors.SearchResult) -> dict:
    """One result as ``SearchResultSerializer`` renders it."""
    return {
        "id": result.document_id,
        "object_id": result.object_id,
        "type": result.kind,
        "title": result.title,
        "url": result.url,
        "snippet": result.snippet_html,
        "score": result.score,
        "tags": list(result.tags),
        "source": result.source,
    }


@extend_schema_view(get=extend_schema(exclude=True))
class SearchSlashApi(SearchApi):
    """``/api/search/``: the same operation, kept out of the schema so it is documented once."""
