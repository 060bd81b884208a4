"""Help-center forms: contact support, reply on a contact, "was this helpful?"."""
from __future__ import annotations

from django import forms

from kb.services.usage import COMMENT_MAX_LENGTH
from support.models import MESSAGE_MAX_LENGTH, Contact

NAME_MAX_LENGTH = Contact._meta.get_field("customer_name").max_length
SUBJECT_MAX_LENGTH = Contact._meta.get_field("subject").max_length


def _too_long(what: str, limit: int) -> str:
    return f"{what} can be at most {limit} characters (it has %(show_value)d)."


class ContactForm(forms.Form):
    """Name, address, subject and message, plus the help-center context the visitor chooses to send.

    ``terms`` and ``articles`` offer only what the session remembered (checked by
    default); unticking one leaves it out of the contact. Signed-in visitors need no
    address: ``support.services.contact_create`` uses their own unless they type another.
    """

    name = forms.CharField(max_length=NAME_MAX_LENGTH, required=False, label="Your name",
                           error_messages={"max_length": _too_long("Your name", NAME_MAX_LENGTH)})
    email = forms.EmailField(label="E-mail address", help_text="We reply to this address.",
                             error_messages={"required": "Give an e-mail address so we can reply.",
                                             "invalid": "That does not look like an e-mail address."})
    subject = forms.CharField(max_length=SUBJECT_MAX_LENGTH, label="Subject",
                              error_messages={"required": "Say in a few words what it is about.",
                                              "max_length": _too_long("The subject", SUBJECT_MAX_LENGTH)})
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=MESSAGE_MAX_LENGTH,
                              label="How can we help?",
                              error_messages={"required": "Write your message.",
                                              "max_length": _too_long("The message", MESSAGE_MAX_LENGTH)})
    terms = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                      label="What you searched")
    articles = forms.TypedMultipleChoiceField(required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
                                              label="Articles you read")

    def __init__(self, *args, user=None, terms: list[str] = (), articles: list = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user if user is not None and user.is_authenticated else None
        self.fields["terms"].choices = [(term, term) for term in terms]
        self.fields["articles"].choices = [(article.pk, article.title) for article in articles]
        if self.user is not None:
            self.fields["email"].required = False
            self.fields["email"].help_text = "Your account's address; change it only to get replies elsewhere."


class ContactReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=MESSAGE_MAX_LENGTH,
                           label="Add a message",
                           error_messages={"required": "Write your message.",
                                           "max_length": _too_long("The message", MESSAGE_MAX_LENGTH)})


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(choices=[("yes", "Yes"), ("no", "No")], coerce=lambda value: value == "yes",
                                     error_messages={"required": "Choose Yes or No.",
                                                     "invalid_choice": "Choose Yes or No."})
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              max_length=COMMENT_MAX_LENGTH, label="What was missing? (optional)",
                              error_messages={"max_length": _too_long("Your comment", COMMENT_MAX_LENGTH)})
