"""{{ amount|money:currency }} → "$15.00" (hippocratic.money)."""

from django import template

from hippocratic.money import format_money

register = template.Library()


@register.filter
def money(minor, currency):
    if minor is None or not currency:
        return ""
    return format_money(int(minor), str(currency))
