"""Declaring personal data on model fields.

    name = personal(models.CharField(max_length=200), "user.name")

The category (a fideslang key) travels with the field; the registry, the
gateway, retention and conformance all read it from there, so there is one
declaration per field and no list to keep in step.
"""

from django.db import models


def personal(field: models.Field, category: str) -> models.Field:
    """Mark `field` as holding personal data of `category`."""
    field.data_category = category
    return field


def category_of(field: models.Field) -> str | None:
    return getattr(field, "data_category", None)
