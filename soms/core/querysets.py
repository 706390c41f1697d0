"""Permission scoping in the queryset (after NetBox's ``RestrictedQuerySet``).

``Model.objects.restrict(user, action)`` is the only way a view, an API endpoint or an export gets
objects for a user. Each model's queryset says, in :meth:`scope`, which rows a user may touch for
an action; a model that forgets to say so shows nothing rather than everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from soms.accounts.models import User

NOTHING = Q(pk__in=[])


class RestrictedQuerySet(models.QuerySet[Any]):
    def restrict(self, user: User | AnonymousUser | None, action: str = "view") -> Self:
        if user is None or not user.is_authenticated or not user.is_active:
            q = self.public_scope(action)
        else:
            q = self.scope(user, action)  # type: ignore[arg-type]
        return self.filter(q) if q is not None else self.none()

    def scope(self, user: User, action: str) -> Q | None:
        """Rows ``user`` may act on; ``None`` for none at all."""
        return None

    def public_scope(self, action: str) -> Q | None:
        """Rows an anonymous visitor may act on; by default none."""
        return None
