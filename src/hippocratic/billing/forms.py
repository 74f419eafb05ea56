"""The card form: its number goes to the processor and nowhere else (PAY-1)."""

from django import forms


class NeverEchoed(forms.TextInput):
    """A text input that does not write a submitted value back into the page."""

    def format_value(self, value):
        return None


class CardForm(forms.Form):
    """A card, on its way to the processor (PAY-1): the view hands the number to the
    processor and keeps only what it answers. Never bound to a model."""

    number = forms.CharField(
        label="Card number", max_length=23,
        widget=NeverEchoed(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )  # fmt: skip
    exp_month = forms.IntegerField(label="Expiry month", min_value=1, max_value=12)
    exp_year = forms.IntegerField(label="Expiry year", min_value=2000, max_value=2100)
    cvc = forms.CharField(
        label="Security code",
        max_length=4,
        widget=NeverEchoed(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def clean_number(self):
        number = self.cleaned_data["number"]
        if any(c.isdigit() and c not in "0123456789" for c in number):
            raise forms.ValidationError("A card number is written with the digits 0 to 9.")
        digits = "".join(c for c in number if c.isdigit())
        if not 12 <= len(digits) <= 19:
            raise forms.ValidationError("A card number has 12 to 19 digits.")
        return digits
