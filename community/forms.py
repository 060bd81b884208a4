"""Page forms. They only shape input; rules live in ``community.validation`` and services."""
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from community.models import Flag
from core import ratelimit


class SignupForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="Letters, digits and @/./+/-/_ only.")
    email = forms.EmailField()
    display_name = forms.CharField(max_length=80, required=False, label="Display name (optional)")
    password = forms.CharField(widget=forms.PasswordInput, help_text="At least 8 characters, not only digits.")


class JoinForm(forms.Form):
    """Joining the community: the rules and a display name; an anonymous visitor signs up in the same step."""

    username = forms.CharField(max_length=150, help_text="Letters, digits and @/./+/-/_ only.")
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput, help_text="At least 8 characters, not only digits.")
    display_name = forms.CharField(max_length=80, label="Display name",
                                   help_text="Shown on your questions and answers.")
    accept_rules = forms.BooleanField(label="I accept the community rules", required=True)
    # What the visitor was about to ask, carried to the ask form.
    title = forms.CharField(max_length=settings.COMMUNITY_MAX_TITLE, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, signed_in: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:
            for name in ("username", "email", "password"):
                del self.fields[name]


class LoginForm(AuthenticationForm):
    """Django's sign-in form, limited in failed attempts per account and per client (``core.ratelimit``).

    Over the limit no password is checked; ``throttled`` tells the view to answer 429.
    """

    throttled = False

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if ratelimit.login_blocked(self.request, username):
            self.throttled = True
            raise forms.ValidationError(ratelimit.login_blocked_message(), code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            ratelimit.login_failed(self.request, username)
            raise
        ratelimit.login_succeeded(self.request, username)
        return cleaned


class QuestionForm(forms.Form):
    title = forms.CharField(
        max_length=settings.COMMUNITY_MAX_TITLE,
        help_text="Say what is wrong, like you would tell a friend.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=settings.COMMUNITY_MAX_BODY,
        help_text="Markdown: **bold**, `code`, lists, links. HTML is shown as text.",
        label="Details",
    )
    tags = forms.CharField(max_length=200, help_text="Up to 5 existing tags, separated by spaces or commas.")


class AnswerForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), max_length=settings.COMMUNITY_MAX_BODY, label="Your answer"
    )


class EditForm(forms.Form):
    title = forms.CharField(max_length=settings.COMMUNITY_MAX_TITLE, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), max_length=settings.COMMUNITY_MAX_BODY)
    tags = forms.CharField(max_length=200, required=False)
    reason = forms.CharField(max_length=300, required=False, label="Edit summary")


class CommentForm(forms.Form):
    body = forms.CharField(max_length=600, label="Comment", widget=forms.TextInput)


class FlagForm(forms.Form):
    reason = forms.ChoiceField(choices=Flag.Reason.choices)
    duplicate_of = forms.IntegerField(required=False, label="Duplicate of question #", min_value=1)
    note = forms.CharField(max_length=500, required=False)


class CloseDuplicateForm(forms.Form):
    original = forms.IntegerField(label="Original question #", min_value=1)
