"""The harvest pages' forms: a new source, and its schedule."""
from __future__ import annotations

from django import forms

from community.models import Source
from core.outbound import validate_web_url
from harvest.services import HTML_PRESETS

KINDS = [(k, label) for k, label in Source.Kind.choices if k != Source.Kind.COMMUNITY]


class SourceForm(forms.Form):
    kind = forms.ChoiceField(choices=KINDS)
    name = forms.CharField(max_length=200)
    base_url = forms.URLField(required=False, assume_scheme="https", label="Address", validators=[validate_web_url],
                              help_text="Discourse: the forum's address. HTML forum: its thread list. "
                                        "Stack Exchange: the site's address, for links (optional).")
    preset = forms.ChoiceField(choices=[("", "—")] + [(p, p) for p in HTML_PRESETS], required=False,
                               label="HTML preset")
    upload = forms.FileField(required=False, label="Upload a dump",
                             help_text="Stack Exchange: the site's .7z or .zip archive.")
    path = forms.CharField(max_length=1000, required=False, label="…or its path on the server",
                           help_text="Inside one of the folders in HARVEST_DUMP_DIRS.")
    license = forms.CharField(max_length=100, required=False,
                              help_text="Empty: Stack Exchange posts carry their own licence by date.")
    trust = forms.FloatField(min_value=0, max_value=1, initial=0.5,
                             help_text="0..1: how much its answers are trusted when drafting articles.")
    schedule_minutes = forms.IntegerField(min_value=0, initial=0, label="Harvest every (minutes)",
                                          help_text="0: only by hand.")


class ScheduleForm(forms.Form):
    schedule_minutes = forms.IntegerField(min_value=0, label="Harvest every (minutes)", help_text="0: only by hand.")
    enabled = forms.BooleanField(required=False, label="Enabled")
