"""The policy's keys in people's words (hippocratic.policy.words), for any template:
`{% load words %}` then `{{ key|category }}`, `{{ keys|categories }}`, `{{ key|use }}`,
`{{ key|ground }}`."""

from django import template

from hippocratic.policy import words
from hippocratic.provider import current_policy

register = template.Library()


@register.filter
def category(key) -> str:
    return words.category(current_policy(), str(key)) if key else ""


@register.filter
def categories(keys) -> str:
    return words.categories(current_policy(), [str(k) for k in keys or ()])


@register.filter
def use(key) -> str:
    return words.use(current_policy(), str(key)) if key else ""


@register.filter
def ground(key) -> str:
    return words.ground(str(key)) if key else ""
