from django.contrib import admin

from mail.models import EmailAddress, OutgoingMessage, Unsubscription


class UnsubscriptionInline(admin.TabularInline):
    model = Unsubscription
    extra = 0


@admin.register(EmailAddress)
class EmailAddressAdmin(admin.ModelAdmin):
    list_display = ("address", "confirmed_at", "suppressed_at", "suppressed_reason")
    list_filter = ("suppressed_reason",)
    search_fields = ("address",)
    inlines = [UnsubscriptionInline]


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "to", "kind", "subject", "status", "attempts", "next_attempt_at", "sent_at", "detail")
    list_filter = ("status", "kind")
    search_fields = ("to", "subject", "message_id")
    readonly_fields = [field.name for field in OutgoingMessage._meta.fields]
