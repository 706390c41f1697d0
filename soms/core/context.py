"""Who is acting and from where, for the audit trail.

The request middleware sets these for a web or API request; a management command sets the actor
itself. Service functions read them only to fill the audit event: the decision of *whether* an
actor may do something is made by the caller with an explicit ``actor`` argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("soms_current_ip", default=None)
current_channel: ContextVar[str] = ContextVar("soms_current_channel", default="system")


@contextmanager
def acting_from(ip: str | None, channel: str) -> Iterator[None]:
    ip_token = current_ip.set(ip)
    channel_token = current_channel.set(channel)
    try:
        yield
    finally:
        current_ip.reset(ip_token)
        current_channel.reset(channel_token)
