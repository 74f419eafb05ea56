from django import forms
from django.contrib.auth.forms import AuthenticationForm


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
