"""The Django admin for the community: accounts and their roles, threads, posts and tags.

Roles and moderation state (hidden, locked, closed, held) change only through the services
the site itself uses, as admin actions; the admin never edits them as raw fields. Threads
and posts are read-only here: their text changes through the community pages, which keep
revisions and the search index in step.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from community import services
from community.models import Flag, Post, PostRevision, Tag, Thread, User
from community.roles import ADMIN, CUSTOMER, ROLE_PERMISSIONS, ROLES, role_assign, role_revoke
from core.admin import ReadOnlyAdmin, ReadOnlyInline, service_action
from core.errors import ServiceError


# --- Accounts --------------------------------------------------------------------------------


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(role, role) for role in ROLES if role != CUSTOMER]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        matches = Q(groups__name=self.value())
        if self.value() == ADMIN:
            matches |= Q(is_superuser=True)
        return queryset.filter(matches).distinct()


class UserAddForm(forms.ModelForm):
    """A new account, checked as sign-up checks one (``check_signup``); it gets the same roles."""

    password1 = forms.CharField(label="Password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Password again", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    class Meta:
        model = User
        fields = ("username", "email", "display_name")

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        elif not self.errors:
            try:
                services.check_signup(username=data["username"], email=data["email"], password=data["password1"],
                                      display_name=data.get("display_name", ""))
            except ServiceError as exc:
                field = {"password": "password1"}.get(exc.field, exc.field)
                self.add_error(field if field in self.fields else None, exc.message)
        return data


def _role_action(role: str, *, grant: bool):
    def action(modeladmin, request, queryset):
        if not grant and role == ADMIN and queryset.filter(pk=request.user.pk).exists():
            modeladmin.message_user(request, "You cannot take the admin role from yourself.", messages.ERROR)
            return
        change = role_assign if grant else role_revoke
        for user in queryset:
            change(user=user, role=role)
        modeladmin.message_user(
            request, f"{'Gave' if grant else 'Took'} the {role} role {'to' if grant else 'from'} {len(queryset)}.",
            messages.SUCCESS,
        )

    action.__name__ = f"{'grant' if grant else 'revoke'}_{role}"
    return admin.action(description=f"{'Give' if grant else 'Take away'} the {role} role")(action)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserAddForm
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("username", "email", "display_name", "password1", "password2")}),)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("display_name", "email", "first_name", "last_name", "bio")}),
        ("Roles and access", {
            "fields": ("roles", "is_active", "is_staff", "is_superuser", "user_permissions"),
            "description": "Roles change with the actions of the user list (admin makes staff and superuser).",
        }),
        ("Community", {"fields": ("reputation", "approved_posts")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("roles", "is_staff", "is_superuser", "reputation", "approved_posts", "last_login",
                       "date_joined")
    list_display = ("username", "email", "display_name", "roles", "is_active", "is_staff", "last_login",
                    "date_joined")
    list_filter = (RoleFilter, "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "email", "display_name")
    ordering = ("username",)
    actions = [_role_action(role, grant=grant) for role in ROLES if role != CUSTOMER for grant in (True, False)]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def roles(self, user: User) -> str:
        names = sorted({group.name for group in user.groups.all()} | ({ADMIN} if user.is_superuser else set()))
        return ", ".join(names) or "—"

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        return services.user_signup(username=data["username"], email=data["email"], password=data["password1"],
                                    display_name=data.get("display_name", ""))

    def save_model(self, request, obj, form, change):
        if change:  # a new account was saved by user_signup
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(ReadOnlyAdmin):
    """Roles are groups whose permissions ``community/roles.py`` sets after every migrate: shown
    here, never edited (an edit would be undone silently)."""

    list_display = ("name", "permission_count", "member_count")
    search_fields = ("name",)
    fields = ("name", "role_permissions")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(permission_count=Count("permissions", distinct=True),
                                                      member_count=Count("user", distinct=True))

    @admin.display(description="permissions", ordering="permission_count")
    def permission_count(self, group: Group) -> str:
        return "all (superuser)" if group.name == ADMIN else str(group.permission_count)

    @admin.display(description="members", ordering="member_count")
    def member_count(self, group: Group) -> int:
        return group.member_count

    def get_readonly_fields(self, request, obj=None):
        return ("name", "role_permissions")

    @admin.display(description="permissions")
    def role_permissions(self, group: Group) -> str:
        if group.name == ADMIN:
            return "Every permission: admins are superusers."
        return ", ".join(ROLE_PERMISSIONS.get(group.name, [])) or "none beyond reading"


# --- Threads and posts -----------------------------------------------------------------------


def question_of(thread: Thread) -> Post:
    question = thread.question
    if question is None:
        raise ServiceError("This thread has no question post.")
    return question


class PostRevisionInline(ReadOnlyInline):
    model = PostRevision
    fields = ("number", "editor", "editor_name", "reason", "created_at")


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    list_display = ("title", "source", "status", "score", "local_score", "answer_count", "view_count", "is_hidden",
                    "is_deleted", "is_locked", "is_closed", "created_at")
    list_filter = ("source", "status", "is_hidden", "is_deleted", "is_locked", "is_closed", "license")
    search_fields = ("title", "external_id", "author_name", "tags__name")
    list_select_related = ("source",)
    readonly_fields = ("posts",)
    date_hierarchy = "created_at"
    actions = [
        service_action("hide", "Hide (the question and its thread)", "Hid",
                       lambda request, thread: services.post_hide(moderator=request.user, post=question_of(thread))),
        service_action("restore", "Restore hidden threads", "Restored",
                       lambda request, thread: services.post_restore(moderator=request.user, post=question_of(thread))),
        service_action("lock", "Lock (no new answers or comments)", "Locked",
                       lambda request, thread: services.thread_set_locked(moderator=request.user, thread=thread,
                                                                          locked=True)),
        service_action("unlock", "Unlock", "Unlocked",
                       lambda request, thread: services.thread_set_locked(moderator=request.user, thread=thread,
                                                                          locked=False)),
        service_action("reopen", "Reopen closed threads", "Reopened",
                       lambda request, thread: services.thread_reopen(moderator=request.user, thread=thread)),
    ]

    @admin.display(description="posts")
    def posts(self, thread: Thread) -> str:
        url = reverse("admin:community_post_changelist") + f"?thread__id__exact={thread.pk}"
        return format_html('<a href="{}">{} posts</a>', url, thread.posts.count())



@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "thread", "author_shown", "is_question", "is_accepted", "score", "status", "is_hidden",
                    "is_deleted", "created_at")
    list_filter = ("thread__source", "status", "is_question", "is_accepted", "is_hidden", "is_deleted")
    search_fields = ("thread__title", "external_id", "author_name", "author__username")
    list_select_related = ("thread", "author")
    inlines = [PostRevisionInline]
    actions = [
        service_action(name, description, done,
                       lambda request, post, service=service: service(moderator=request.user, post=post))
        for name, description, done, service in (
            ("hide", "Hide", "Hid", services.post_hide),
            ("restore", "Restore hidden posts", "Restored", services.post_restore),
            ("approve", "Approve held posts", "Approved", services.post_approve),
            ("reject", "Reject held posts", "Rejected", services.post_reject),
        )
    ]

    @admin.display(description="author")
    def author_shown(self, post: Post) -> str:
        return post.display_author



@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Tags are added and described here; a name is fixed once used (it is in URLs and the index)."""

    list_display = ("name", "topic", "description", "thread_count")
    list_filter = ("topic",)
    search_fields = ("name", "topic", "description")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(thread_count=Count("threads"))

    @admin.display(description="threads", ordering="thread_count")
    def thread_count(self, tag: Tag) -> int:
        return tag.thread_count

    def get_readonly_fields(self, request, obj=None):
        return ("name",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    """Members' flags, to find and read; they are handled in the moderation queue (``/moderation/``)."""

    list_display = ("post__thread__title", "post", "reason", "note", "status", "flagged_by", "duplicate_of", "created_at")
    list_filter = ("status", "reason", "post__thread__source")
    search_fields = ("post__thread__title", "note", "flagged_by__username")
    list_select_related = ("post", "flagged_by", "duplicate_of")
    date_hierarchy = "created_at"
