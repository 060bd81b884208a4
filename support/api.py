"""Support REST API: contacts for gateways, the web form and customers; suggestions for agent desktops.

Errors come back as JSON (see ``config.api.exception_handler``): 400 for bad input,
401/403 for permissions, 404 for unknown (or someone else's) contacts.
"""
from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions as drf_permissions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ServiceError, name_nested_serializers
from support import permissions, selectors, services
from support.models import MESSAGE_MAX_LENGTH, Contact, ContactMessage


def visible_contact(request, contact_id: int) -> Contact:
    contact = selectors.contact_get(contact_id=contact_id)
    if contact is None:
        raise Http404
    permissions.check_can_view_contact(request.user, contact)
    return contact


class MessageOutput(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = ContactMessage
        fields = ["id", "sender", "author", "body", "created_at"]

    def get_author(self, message) -> str:
        return message.author.public_name if message.author_id else ""


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
        return [{"id": a.id, "title": a.title, "url": a.get_absolute_url()} for a in contact.viewed_articles.all()]


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
        if not permissions.can_handle_contacts(request.user) and request.user.is_authenticated:
            # A signed-in customer writes as themselves; the address cannot point at someone else.
            values["customer_email"] = request.user.email
            values["customer_name"] = values["customer_name"] or request.user.public_name
        if not values.get("customer_email"):
            raise ServiceError("An e-mail address is required.", code="email_required", field="customer_email")
        contact = services.contact_create(**values, link_account=request.user.is_authenticated)
        return Response(ContactDetailOutput(selectors.contact_get(contact_id=contact.pk)).data,
                        status=status.HTTP_201_CREATED)


class ContactDetailApi(APIView):
    permission_classes = [drf_permissions.AllowAny]

    @extend_schema(responses=ContactDetailOutput)
    def get(self, request, contact_id: int):
        return Response(ContactDetailOutput(visible_contact(request, contact_id)).data)


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
    score = serializers.FloatField()
    visibility = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())


class AgentSuggestApi(APIView):
    permission_classes = [drf_permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        # Transcripts can be long; the query cleaner truncates what it searches.
        text = serializers.CharField(max_length=200_000)
        limit = serializers.IntegerField(min_value=1, max_value=selectors.SUGGEST_MAX_LIMIT, default=10)

    @extend_schema(request=InputSerializer, responses=inline_serializer(
        "AgentSuggestOutput", {"results": SuggestionOutput(many=True)}))
    def post(self, request):
        from search.engine.query import QueryError

        permissions.check_can_handle(request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            results = selectors.article_suggestions(agent=request.user, **data.validated_data)
        except QueryError as exc:
            raise ServiceError(str(exc), code="empty_query", field="text") from exc
        return Response({"results": results})


name_nested_serializers(globals())
