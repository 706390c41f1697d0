"""Sent inside the transaction whenever a record starts or stops counting, or its counted values
change (approval, approval of a correction). The statistics engine keeps its aggregates current
by listening; a listener that fails rolls the decision back, so figures never drift."""

from django.dispatch import Signal

# kwargs: record (the record row, after the change), before (its values before, or None when
# it did not count), after (its values after, or None when it no longer counts)
record_counted = Signal()
