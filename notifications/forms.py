"""Page forms. They only shape input; rules live in services and permissions."""
from django import forms

from notifications.events import DELIVERY_CHOICES, EVENTS

FOLLOW_KINDS = ("question", "article", "tag", "contact")


class FollowForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in FOLLOW_KINDS])
    target = forms.IntegerField(min_value=1)


class PreferencesForm(forms.Form):
    """Two choices per event shown: ``<event>__inbox`` and ``<event>__email``."""

    def __init__(self, *args, current: dict[str, tuple[str, str]], events=EVENTS, **kwargs):
        super().__init__(*args, **kwargs)
        self.events = list(events)
        for event in self.events:
            inbox, email = current[event.code]
            self.fields[f"{event.code}__inbox"] = forms.ChoiceField(
                choices=DELIVERY_CHOICES, initial=inbox, label=f"{event.label}: inbox")
            self.fields[f"{event.code}__email"] = forms.ChoiceField(
                choices=DELIVERY_CHOICES, initial=email, label=f"{event.label}: e-mail")

    def rows(self):
        """``(event, inbox field, email field)`` for the table."""
        return [(event, self[f"{event.code}__inbox"], self[f"{event.code}__email"]) for event in self.events]
