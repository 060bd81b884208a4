"""Support REST API: contacts for gateways, the web form and customers; suggestions for agent desktops.

Errors come back as JSON (see ``core.api.exception_handler``): 400 for bad input,
401/403 for permissions, 404 for unknown (or someone else's) contacts.
"""
from __future__ import annotations

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, permissions as drf_permissions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import name_nested_serializers
from core.errors import ServiceError
from core.ratelimit import rate_limited
from kb.models import ArticleFlag
from kb.permissions import can_view_article
from kb.selectors import editor_url
from search.engine.query import QueryError
from support import permissions, selectors, services
from support.models import MESSAGE_MAX_LENGTH, Contact, ContactMessage, SuggestionEvent


def visible_contact(request, contact_id: int) -> Contact:
    contact = selectors.contact_get(contact_id=contact_id)
    if contact is None:
        raise Http404
    permissions.check_can_view_contact(request.user, contact)
    return contact


class MessageOutput(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    mail_status = serializers.SerializerMethodField()

    class Meta:
        model = ContactMessage
        fields = ["id", "sender", "author", "body", "created_at", "email_from", "mail_status"]

    def get_author(self, message) -> str:
        return message.author.public_name if message.author_id else ""

    def get_mail_status(self, message) -> str | None:
        """An agent's reply: ``sent``, ``queued``, ``failed``, ``blocked``, ``rate_limited``; None when not
        mailed (yet: held until the customer confirms the address, or not an e-mail contact)."""
        return message.outgoing_mail.status if message.outgoing_mail_id else None


class ContactOutput(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    assigned_agent = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = ["id", "channel", "customer_email", "customer_name", "customer", "subject", "status",
                  "assigned_agent", "search_terms", "resolved_by", "created_at", "updated_at"]

    def get_customer(self, contact) -> str | None:
        return contact.customer.username if contact.customer_id else None

    def get_assigned_agent(self, contact) -> str | None:
        return contact.assigned_agent.username if contact.assigned_agent_id else None


class ContactDetailOutput(ContactOutput):
    messages = MessageOutput(many=True, read_only=True)
    viewed_articles = serializers.SerializerMethodField()

    class Meta(ContactOutput.Meta):
        fields = ContactOutput.Meta.fields + ["viewed_articles", "messages"]

    def get_viewed_articles(self, contact) -> list[dict]:
        # A contact may carry internal articles (an agent read them, or a caller sent their ids);
        # a customer reading their own contact sees only what they may read anyway.
        request = self.context.get("request")
        user = request.user if request is not None else None
        return [{"id": a.id, "title": a.title, "url": a.get_absolute_url()} for a in contact.viewed_articles.all()
                if can_view_article(user, a)]


class ContactListApi(APIView):
    # Anonymous visitors may use the web form; the checks below decide the rest.
    permission_classes = [drf_permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        channel = serializers.ChoiceField(choices=Contact.Channel.choices, default=Contact.Channel.WEB_FORM)
        customer_email = serializers.EmailField(required=False)
        customer_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
        subject = serializers.CharField(max_length=300)
        body = serializers.CharField(max_length=MESSAGE_MAX_LENGTH)
        search_terms = serializers.ListField(child=serializers.CharField(max_length=200), max_length=20,
                                             required=False, default=list)
        viewed_article_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=50,
                                                   required=False, default=list)

    @extend_schema(responses=ContactOutput(many=True), parameters=[
        inline_serializer("ContactFilters", {"status": serializers.ChoiceField(choices=Contact.Status.choices)})])
    def get(self, request):
        permissions.check_can_list_contacts(request.user)
        wanted = request.query_params.get("status") or None
        if wanted and wanted not in Contact.Status.values:
            raise ServiceError(f"Unknown status {wanted!r}.", code="invalid_status", field="status")
        contacts = selectors.contact_list(user=request.user, status=wanted)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(contacts, request, view=self)
        return paginator.get_paginated_response(ContactOutput(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ContactDetailOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        permissions.check_can_create_contact(request.user, channel=values["channel"])
        with transaction.atomic():
            contact = services.contact_create(**values, opened_by=request.user)
            # The contact form's limit and counter (RATE_CONTACT, per IP or account), so the API is no way
            # around it; agents and gateways are not limited, they open contacts for many customers. Counted
            # once the contact is valid (bad input does not use up the limit); over it, nothing is kept.
            if not permissions.can_handle_contacts(request.user) and rate_limited(request, "contact"):
                raise exceptions.Throttled(detail="You have sent several requests in a short time. "
                                                  "Wait a while and send this one again.")
        return Response(ContactDetailOutput(selectors.contact_get(contact_id=contact.pk),
                                            context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class ContactDetailApi(APIView):
    permission_classes = [drf_permissions.AllowAny]

    @extend_schema(responses=ContactDetailOutput)
    def get(self, request, contact_id: int):
        return Response(ContactDetailOutput(visible_contact(request, contact_id), context={"request": request}).data)


class MessageCreateApi(APIView):
    permission_classes = [drf_permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=MESSAGE_MAX_LENGTH)
        sender = serializers.ChoiceField(choices=ContactMessage.Sender.choices, required=False)

    @extend_schema(request=InputSerializer, responses={201: MessageOutput})
    def post(self, request, contact_id: int):
        contact = visible_contact(request, contact_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        is_agent = permissions.can_handle_contacts(request.user)
        default = ContactMessage.Sender.AGENT if is_agent else ContactMessage.Sender.CUSTOMER
        sender = data.validated_data.get("sender") or default
        permissions.check_can_append_message(request.user, contact, sender=sender)
        # Gateways post the customer's words under their own login; the author is the customer account.
        author = contact.customer if sender == ContactMessage.Sender.CUSTOMER else request.user
        message = services.message_append(contact=contact, sender=sender, author=author,
                                          body=data.validated_data["body"])
        return Response(MessageOutput(message).data, status=status.HTTP_201_CREATED)


class SuggestionOutput(serializers.Serializer):
    article_id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()
    snippet_html = serializers.CharField()
    passage = serializers.CharField()
    score = serializers.FloatField(help_text="Ranking score: orders this answer's suggestions only.")
    relevance = serializers.FloatField(
        min_value=0.0, max_value=1.0,
        help_text="Calibrated probability that the article answers the text (below SEARCH_RELEVANCE_FLOOR: "
        "a weak match).")
    visibility = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())


class AgentSuggestApi(APIView):
    permission_classes = [drf_permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        # Transcripts can be long; the query cleaner truncates what it searches.
        text = serializers.CharField(max_length=200_000)
        limit = serializers.IntegerField(min_value=1, max_value=selectors.SUGGEST_MAX_LIMIT, default=10)

    @extend_schema(request=InputSerializer, responses=inline_serializer(
        "AgentSuggestOutput", {"no_confident_suggestion": serializers.BooleanField(
            help_text="True when no result clears the relevance floor (the results are still listed)."),
            "results": SuggestionOutput(many=True)}))
    def post(self, request):
        permissions.check_can_handle(request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            results = selectors.article_suggestions(agent=request.user, **data.validated_data)
        except QueryError as exc:
            raise ServiceError(str(exc), code="empty_query", field="text") from exc
        return Response({"no_confident_suggestion": not selectors.confident(results), "results": results})


# --- the agent console's actions, for other agent desktops -----------------------------------------


def agent_contact(request, contact_id: int) -> Contact:
    """Agents only (403 before anything else), then the contact or 404."""
    permissions.check_can_handle(request.user)
    contact = selectors.contact_get(contact_id=contact_id)
    if contact is None:
        raise Http404
    return contact


class ConsoleSuggestionOutput(SuggestionOutput):
    internal = serializers.BooleanField()
    excerpt = serializers.CharField(help_text="The matched passage, cut for quoting in a reply.")
    boost = serializers.FloatField(help_text="Added to the search score for links on other contacts (bounded).")
    links = serializers.IntegerField(help_text="Other contacts this article was linked to as resolved-by.")


class SuggestionEventOutput(serializers.ModelSerializer):
    agent = serializers.SerializerMethodField()

    class Meta:
        model = SuggestionEvent
        fields = ["id", "contact", "article", "action", "agent", "created_at"]

    def get_agent(self, event) -> str | None:
        return event.agent.username if event.agent_id else None


class ContactSuggestionsApi(APIView):
    """Suggested articles for the conversation so far (public and internal), minus dismissed ones."""

    permission_classes = [drf_permissions.AllowAny]

    @extend_schema(responses=inline_serializer("ContactSuggestionsOutput", {
        "query": serializers.CharField(),
        "no_confident_suggestion": serializers.BooleanField(
            help_text="True when articles were found but none is likely to answer the conversation."),
        "weak_count": serializers.IntegerField(help_text="Weak matches left out of the results."),
        "results": ConsoleSuggestionOutput(
            many=True, help_text="Only articles that clear the relevance floor, most likely first.")}))
    def get(self, request, contact_id: int):
        contact = agent_contact(request, contact_id)
        results = selectors.contact_suggestions(contact=contact, agent=request.user)
        services.suggestions_record_shown(agent=request.user, contact=contact,
                                          article_ids=[item["article_id"] for item in results])
        return Response({"query": selectors.conversation_text(contact=contact),
                         "no_confident_suggestion": results.no_confident_suggestion,
                         "weak_count": results.weak_count, "results": results})


class SuggestionInsertApi(APIView):
    """Record that the agent put a link to or an excerpt of the article into a reply."""

    permission_classes = [drf_permissions.AllowAny]

    @extend_schema(request=None, responses={201: SuggestionEventOutput})
    def post(self, request, contact_id: int, article_id: int):
        contact = agent_contact(request, contact_id)
        article = selectors.usable_article_get(user=request.user, article_id=article_id)
        event = services.suggestion_insert(agent=request.user, contact=contact, article=article)
        return Response(SuggestionEventOutput(event).data, status=status.HTTP_201_CREATED)


class SuggestionLinkApi(APIView):
    """Link the article as what resolved the contact."""

    permission_classes = [drf_permissions.AllowAny]

    @extend_schema(request=None, responses={201: SuggestionEventOutput})
    def post(self, request, contact_id: int, article_id: int):
        contact = agent_contact(request, contact_id)
        article = selectors.usable_article_get(user=request.user, article_id=article_id)
        services.contact_link_article(agent=request.user, contact=contact, article=article)
        event = contact.suggestion_events.filter(article=article, action=SuggestionEvent.Action.LINKED).first()
        return Response(SuggestionEventOutput(event).data, status=status.HTTP_201_CREATED)


class SuggestionDismissApi(APIView):
    """Stop suggesting the article for this contact (idempotent)."""

    permission_classes = [drf_permissions.AllowAny]

    @extend_schema(request=None, responses={201: SuggestionEventOutput})
    def post(self, request, contact_id: int, article_id: int):
        contact = agent_contact(request, contact_id)
        article = selectors.usable_article_get(user=request.user, article_id=article_id)
        event = services.suggestion_dismiss(agent=request.user, contact=contact, article=article)
        return Response(SuggestionEventOutput(event).data, status=status.HTTP_201_CREATED)


class ArticleFlagOutput(serializers.Serializer):
    id = serializers.IntegerField()
    article = serializers.IntegerField(source="article_id")
    kind = serializers.CharField()
    note = serializers.CharField()
    contact = serializers.IntegerField(source="contact_id", allow_null=True)
    resolved = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    article_needs_review = serializers.BooleanField(source="article.needs_review")


class ArticleFlagCreateApi(APIView):
    """Flag an article as wrong or outdated; it goes to the editors' queue marked "needs review"."""

    permission_classes = [drf_permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=ArticleFlag.Kind.choices)
        note = serializers.CharField(max_length=1000)
        contact = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                           help_text="The contact the problem showed up in.")

    @extend_schema(request=InputSerializer, responses={201: ArticleFlagOutput})
    def post(self, request, article_id: int):
        permissions.check_can_handle(request.user)
        article = selectors.usable_article_get(user=request.user, article_id=article_id)
        permissions.check_can_flag_article(request.user, article)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = None
        if data.validated_data.get("contact"):
            contact = selectors.contact_get(contact_id=data.validated_data["contact"])
            if contact is None:
                raise ServiceError("There is no such contact.", code="unknown_contact", field="contact")
        flag = services.article_flag(agent=request.user, article=article, kind=data.validated_data["kind"],
                                     note=data.validated_data["note"], contact=contact)
        flag.article.refresh_from_db(fields=["needs_review"])
        return Response(ArticleFlagOutput(flag).data, status=status.HTTP_201_CREATED)


class CapturedArticleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    slug = serializers.CharField()
    status = serializers.CharField()
    problem = serializers.CharField()
    solution = serializers.CharField()
    tags = serializers.SerializerMethodField()
    editor_url = serializers.SerializerMethodField()

    def get_tags(self, article) -> list[str]:
        return sorted(article.tags.values_list("name", flat=True))

    def get_editor_url(self, article) -> str:
        return editor_url(article)


class ContactCaptureApi(APIView):
    """Capture a new article draft from the conversation, for the editors' queue.

    Fields left out are prefilled from the conversation: subject → title, the customer's
    messages → problem, the agents' replies → solution (e-mail addresses and phone numbers masked).
    """

    permission_classes = [drf_permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=300, required=False)
        problem = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
        solution = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
        tags = serializers.ListField(child=serializers.CharField(max_length=50), max_length=20, required=False)

    @extend_schema(request=InputSerializer, responses={201: CapturedArticleOutput})
    def post(self, request, contact_id: int):
        contact = agent_contact(request, contact_id)
        permissions.check_can_capture_article(request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {**selectors.capture_prefill(contact=contact), "tags": []}
        values.update(data.validated_data)
        article = services.article_capture_from_contact(agent=request.user, contact=contact, **values)
        return Response(CapturedArticleOutput(article).data, status=status.HTTP_201_CREATED)


name_nested_serializers(globals())
