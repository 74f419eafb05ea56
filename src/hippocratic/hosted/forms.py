from django import forms

from hippocratic.hosted.models import HostedRecord


class RecordForm(forms.Form):
    kind = forms.ChoiceField(choices=HostedRecord.Kind.choices, label="Kind")
    title = forms.CharField(max_length=200, label="Title", help_text="A name or a heading")
    body = forms.CharField(
        max_length=10_000, required=False, label="Details",
        widget=forms.Textarea(attrs={"rows": 6}),
    )  # fmt: skip
