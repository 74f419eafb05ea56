from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError

from hippocratic import provider
from hippocratic.accounts.contact import SIGN_UP, asked_at
from hippocratic.accounts.models import Customer


class LoginForm(AuthenticationForm):
    """Django's login form (authenticate() with the request, so django-axes
    throttles it); "remember me" is added only where the policy declares the cookie."""

    remember = forms.BooleanField(
        required=False, label="Remember me on this device",
        help_text="Sets an encrypted cookie for 30 days. Leave it unticked on a shared computer.",
    )  # fmt: skip

    def __init__(self, *args, remember_days: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if remember_days is None:
            del self.fields["remember"]
        else:
            self.fields["remember"].help_text = (
                f"Sets an encrypted cookie for {remember_days} days. "
                "Leave it unticked on a shared computer."
            )


# --- Forms built from the policy (ACC-1, ACC-2) ------------------------------------------


EMAIL_CATEGORY = "user.contact.email"


def not_our_address(value: str) -> None:
    """A customer's (or prospect's) address is never one of the provider's own: mail to
    it would come back as a request, and be answered, for ever (issue 30)."""
    if value and provider.is_own_address(value):
        raise ValidationError(
            "That address is one of ours (%(domain)s); give an address of your own.",
            code="own_address", params={"domain": value.rsplit("@", 1)[-1]},
        )  # fmt: skip


def contact_fields(model, points: set[str], only=None) -> dict[str, forms.Field]:
    """Form fields for what the policy asks at `points`, required as it says."""
    fields = {}
    for name, item in asked_at(model, points, only):
        field = model._meta.get_field(name).formfield(required=item.required, label=item.label)
        if isinstance(field, forms.CharField) and field.max_length is None:
            raise TypeError(f"{model.__name__}.{name} needs a max_length: every input is bounded")
        if not item.required:
            field.help_text = "Optional: you may leave it empty."
        if item.category == EMAIL_CATEGORY:
            field.validators.append(not_our_address)
        fields[name] = field
    return fields


class ContactForm(forms.Form):
    """A customer's or prospect's contact details: the fields come from the policy."""

    def __init__(self, *args, model, points: set[str], only=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(contact_fields(model, points, only))

    @property
    def contact_data(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


class SignUpForm(UserCreationForm):
    """A user name and password (hashed with Argon2, never shown again: SEC-1, SEC-2)
    and the contact details the policy asks for at sign-up (ACC-1)."""

    account = forms.ChoiceField(
        label="This account is for",
        choices=[("individual", "me alone"), ("organisation", "my organisation and its people")],
        initial="individual", widget=forms.RadioSelect, required=False,
    )  # fmt: skip

    class Meta(UserCreationForm.Meta):
        fields = ("username",)

    def __init__(self, *args, organisations: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not organisations:
            del self.fields["account"]
        contact = contact_fields(Customer, SIGN_UP)
        for name, field in contact.items():
            self.fields[name] = field
        self.contact_names = tuple(contact)
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"

    @property
    def contact_data(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.contact_names}
