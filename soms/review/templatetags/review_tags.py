"""``{% load review_tags %}{% unread_count as unread %}``: the signed-in user's unread messages,
for the inbox link in the menu."""

from __future__ import annotations

from typing import Any

from django import template

from soms.review.models import Message

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context: Any) -> int:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    return Message.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
