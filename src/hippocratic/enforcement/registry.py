"""Every model that holds personal data, and what each of its fields declares."""

from dataclasses import dataclass

from django.apps import apps
from django.db import models

from hippocratic.enforcement.fields import category_of
from hippocratic.enforcement.gateway import PersonalDataModel


@dataclass(frozen=True)
class Declaration:
    model: type[models.Model]
    subject: str
    fields: dict[str, str]  # field name -> data category
    undeclared: tuple[str, ...]  # fields that are neither personal nor technical


def personal_models() -> list[type[models.Model]]:

    return [
        m for m in apps.get_models() if issubclass(m, PersonalDataModel) and not m._meta.abstract
    ]


def declarations(models_: list | None = None) -> list[Declaration]:
    found = []
    for model in models_ if models_ is not None else personal_models():
        technical = set(model.technical_fields)
        fields = {f.name: category_of(f) for f in model._meta.concrete_fields if category_of(f)}
        undeclared = tuple(
            f.name
            for f in model._meta.concrete_fields
            if f.name not in fields and f.name not in technical
        )
        found.append(Declaration(model, model.data_subject, fields, undeclared))
    return found
