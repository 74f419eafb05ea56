from django import forms

from hippocratic.requests.models import SUBJECT_MAX, TEXT_MAX
from hippocratic.requests.services import QUESTION_MAX


class QuestionForm(forms.Form):
    """A question or concern about collection, use or disclosure (CH-2)."""

    email = forms.EmailField(
        max_length=254, label="Your e-mail address", help_text="We answer you there."
    )
    question = forms.CharField(
        max_length=QUESTION_MAX, widget=forms.Textarea(attrs={"rows": 8}),
        label="Your question or concern",
    )  # fmt: skip

    def __init__(self, *args, known_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if known_email:  # a signed-in customer is answered at the address we hold
            del self.fields["email"]


class ContactForm(forms.Form):
    """A message to support (/contact/): bounded, and an address to answer at only where
    the policy keeps one and we hold none (a visitor)."""

    email = forms.EmailField(
        max_length=254, label="Your e-mail address", help_text="We answer you there."
    )
    subject = forms.CharField(max_length=SUBJECT_MAX, required=False, label="Subject")
    message = forms.CharField(
        max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 8}), label="Your message",
    )  # fmt: skip

    def __init__(self, *args, asks_email: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not asks_email:
            del self.fields["email"]


def choices_form(options, current: dict[str, bool], data=None) -> forms.Form:
    """One yes/no box per option: ticked means "you may", as the customer decides."""
    form = forms.Form(data, label_suffix="")
    for option in options:
        form.fields[option.key] = forms.BooleanField(
            required=False, label=option.label, initial=current.get(option.key, True)
        )
    return form
