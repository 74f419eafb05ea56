from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin, UserCreationForm
from django.core.exceptions import ValidationError

from hippocratic import provider
from hippocratic.accounts.contact import SIGN_UP, asked_at
from hippocratic.accounts.models import Customer
from hippocratic.versions.terms import version_of


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
        # The terms, where the provider has them: accepted by a required tick, and the
        # version shown is the version recorded (accounts.services.sign_up).
        self.terms_version = version_of(provider.current_policy())
        if self.terms_version is not None:
            title = self.terms_version.terms.title
            number = self.terms_version.number
            version = f" (version {number})" if number else ""
            # The page links them above the form (a link inside the form would be a
            # stop for Tab between two fields).
            self.fields["terms"] = forms.BooleanField(
                required=True, label=f"I accept the {title}{version}",
                error_messages={"required": f"Please accept the {title} to open an account."},
            )  # fmt: skip

    @property
    def contact_data(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.contact_names}


# --- Closing and recovery (issue 31) ------------------------------------------------------


class PasswordCheckForm(forms.Form):
    """The password again, before something that cannot be undone (closing the account,
    new recovery codes): a session left open on a shared computer is not enough."""

    password = forms.CharField(
        label="Your password", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError("That is not your password.", code="wrong_password")
        return password


class RecoverByMailForm(forms.Form):
    email = forms.EmailField(
        label="The e-mail address your account gave", max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )  # fmt: skip


class RecoverByCodeForm(SetPasswordMixin, forms.Form):
    """A user name, one of its recovery codes, and the new password twice."""

    username = forms.CharField(
        label="User name", max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )  # fmt: skip
    code = forms.CharField(
        label="One of your recovery codes", max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )  # fmt: skip
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1="New password", label2="New password again"
    )

    def __init__(self, *args, opens=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.opens = opens  # (user name, code) -> the login the code opens, or None
        self.user = None

    def clean(self):
        cleaned = super().clean()
        username, code = cleaned.get("username"), cleaned.get("code")
        if username and code:
            self.user = self.opens(username, code)
            if self.user is None:  # the same words for an unknown name and a wrong code
                raise ValidationError(
                    "That user name and recovery code do not open an account.", code="no_match"
                )
            self.validate_passwords()
            self.validate_password_for_user(self.user)
        return cleaned
