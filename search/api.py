"""Search REST API: ``GET /api/search?q=&type=&tag=&source=&limit=``, or the same
parameters as a JSON object in ``POST /api/search`` for text too long for a URL (a
whole chat transcript); and ``GET /api/questions/similar/?title=`` for the ask form.

Every result carries a calibrated ``relevance`` (the probability it answers the
query) and the answer a top-level ``no_good_match`` (no result clears
``SEARCH_RELEVANCE_FLOOR``). Bad input always gets a JSON 400 with a readable ``detail`` (empty query,
unknown filter, bad limit); very long queries are cleaned and truncated, not
refused. Visibility follows the caller's role, as on the results page.
"""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import permissions as drf_permissions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api import ThreadOutput
from core.errors import ServiceError
from core.ratelimit import ScopedThrottle
from search import selectors
from search.engine.query import QueryError
from search.models import Document
from search.similar import similar_threads

# Longest raw ``q`` read at all: anything longer is cut before cleaning (which keeps ~512 chars).
MAX_RAW_QUERY = 20_000
QUERY_PARAMS = ("q", "type", "tag", "source", "limit", "format")
# Largest POST body read: MAX_RAW_QUERY characters even at 12 bytes each (a JSON \u escape of a
# surrogate pair), with room for the filters.
MAX_BODY_BYTES = 256 * 1024


class BodyTooLarge(ServiceError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


class SearchResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="document_id", help_text="Search document id.")
    object_id = serializers.IntegerField(help_text="Thread id (question/thread) or article id.")
    type = serializers.ChoiceField(source="kind", choices=Document.Kind.choices)
    title = serializers.CharField()
    url = serializers.CharField()
    snippet = serializers.CharField(
        source="snippet_html", help_text="HTML: escaped text with matched terms in <mark>."
    )
    score = serializers.FloatField(
        help_text="Ranking score: orders this query's results only (normalised per query, so the best "
        "result always scores high); not comparable across queries. Use relevance to judge a result."
    )
    relevance = serializers.FloatField(
        min_value=0.0, max_value=1.0,
        help_text="Calibrated probability that this result answers the query (fitted on real community "
        "questions: duplicates and paraphrases against unrelated pairs). Below the relevance floor "
        "(SEARCH_RELEVANCE_FLOOR, 0.2 by default) it is a weak match.",
    )
    tags = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField()


class SearchRequestSerializer(serializers.Serializer):
    """The body of ``POST /api/search`` (documentation: the view checks it as it checks a GET)."""

    q = serializers.CharField(help_text="What to look for, as long as you like (cut to ~512 characters).")
    type = serializers.ChoiceField(choices=Document.Kind.values, required=False, help_text="Only this type.")
    tag = serializers.CharField(required=False, help_text="Only documents with this tag.")
    source = serializers.CharField(required=False, help_text="Only this source (slug).")
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=selectors.MAX_LIMIT, help_text="Default 10."
    )


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField(help_text="The query as searched (cleaned, maybe truncated).")
    count = serializers.IntegerField()
    degraded = serializers.BooleanField(help_text="True when only keyword search was available.")
    no_good_match = serializers.BooleanField(
        help_text="True when no result clears the relevance floor: nothing found is likely to answer the "
        "query (out of domain, or not covered yet). The results are still returned, each with its relevance."
    )
    results = SearchResultSerializer(many=True)


class SearchApi(APIView):
    permission_classes = [drf_permissions.AllowAny]
    # JSON only: no browsable-API page (its renderer and content negotiation cost time on every call).
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "search"
    throttle_reads = True

    @extend_schema(
        operation_id="search",
        summary="Search articles, community questions and harvested threads",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True,
                             description="What to look for (cut to ~512 characters; longer text: POST)."),
            OpenApiParameter("type", OpenApiTypes.STR, enum=list(Document.Kind.values), description="Only this type."),
            OpenApiParameter("tag", OpenApiTypes.STR, description="Only documents with this tag."),
            OpenApiParameter("source", OpenApiTypes.STR, description="Only this source (slug)."),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1..{selectors.MAX_LIMIT}, default 10."),
        ],
        responses={200: SearchResponseSerializer, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        check_known(request.query_params)
        return self.search(request, request.query_params)

    @extend_schema(
        operation_id="search_long",
        summary="Search with the parameters in a JSON body (for queries too long for a URL)",
        description="The same search as `GET /api/search`. A URL holds a query of about 512 characters "
        "in any script; send longer text, such as a whole transcript, here. It is cleaned and cut the same way.",
        request=SearchRequestSerializer,
        responses={200: SearchResponseSerializer, 400: OpenApiTypes.OBJECT, 413: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            raise BodyTooLarge(
                f"The request body is {length:,} bytes; send at most {MAX_BODY_BYTES:,} "
                f"(the query is cut to about 512 characters anyway).", code="too_large",
            )
        body = request.data
        if not isinstance(body, dict):
            raise ServiceError('Send a JSON object, such as {"q": "wifi drops every evening", "limit": 10}.')
        check_known(body)
        params = {}
        for name, value in body.items():
            if value is None:
                continue
            if isinstance(value, str) or (name == "limit" and isinstance(value, int) and not isinstance(value, bool)):
                params[name] = str(value)
            else:
                kind = "text or a whole number" if name == "limit" else "text"
                raise ServiceError(f"{name} must be {kind}.", field=str(name)[:40])
        return self.search(request, params)

    def search(self, request, params) -> Response:
        raw_limit = params.get("limit", "10").strip()
        if not (raw_limit.isascii() and raw_limit.isdigit()) or not 1 <= int(raw_limit) <= selectors.MAX_LIMIT:
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
                "no_good_match": results.no_good_match,
                "results": [result_json(result) for result in results],
            }
        )


def check_known(params) -> None:
    unknown = sorted(set(params) - set(QUERY_PARAMS))
    if unknown:
        raise ServiceError(
            f"Unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
            f"use q, type, tag, source and limit.",
            code="invalid_filter",
            field=unknown[0][:40],
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
        "relevance": result.relevance,
        "tags": list(result.tags),
        "source": result.source,
    }


@extend_schema_view(get=extend_schema(exclude=True), post=extend_schema(exclude=True))
class SearchSlashApi(SearchApi):
    """``/api/search/``: the same operation, kept out of the schema so it is documented once."""


class SimilarQuestionsApi(APIView):
    """``GET /api/questions/similar/?title=``: existing questions like a draft title (the ask form's list)."""

    @extend_schema(responses=ThreadOutput(many=True), parameters=[
        inline_serializer("SimilarQuery", {"title": serializers.CharField()})])
    def get(self, request):
        text = request.query_params.get("title", "")[:300]
        return Response(ThreadOutput(similar_threads(text=text, user=request.user), many=True).data)
