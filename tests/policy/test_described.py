"""Every key a policy file may hold is described: the file's JSON schema
(`Policy.model_json_schema()`, what an editor completes from) says what each one means."""

from pydantic import BaseModel

import hippocratic.policy.models as policy_models


def _policy_models():
    return [
        cls for cls in vars(policy_models).values()
        if isinstance(cls, type) and issubclass(cls, BaseModel)
        and cls.__module__ == policy_models.__name__ and cls.model_fields
    ]  # fmt: skip


def test_every_field_of_every_policy_model_is_described():
    undescribed = [
        f"{cls.__name__}.{name}"
        for cls in _policy_models()
        for name, field in cls.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert undescribed == []


def test_the_check_sees_every_model_of_the_file():
    names = {cls.__name__ for cls in _policy_models()}
    assert {"Policy", "Provider", "Choice", "Channel", "Cookie", "Recipient", "DataItem"} <= names
