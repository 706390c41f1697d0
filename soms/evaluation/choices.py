from django.db import models
from django.utils.translation import gettext_lazy as _


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for submissions")
    CLOSED = "closed", _("Closed")
    PUBLISHED = "published", _("Published")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Source(models.TextChoices):
    COMPUTED = "computed", _("Computed from the system's data")
    SUBMITTED = "submitted", _("Submitted by the city")
    EXTERNAL = "external", _("External source (entered by the ministry)")


class CityKind(models.TextChoices):
    DESIGNATED = "designated", _("Demonstration city")
    CANDIDATE = "candidate", _("Candidate city")


class RegionGroup(models.TextChoices):
    """The three groups the ministry ranks the cities in."""

    EAST = "east", _("East")
    CENTRAL_WEST = "central_west", _("Central and west")
    NORTHEAST = "northeast", _("Northeast")


# NBS region of a city's province → ranking group.
REGION_GROUPS = {
    "east": RegionGroup.EAST,
    "central": RegionGroup.CENTRAL_WEST,
    "west": RegionGroup.CENTRAL_WEST,
    "northeast": RegionGroup.NORTHEAST,
}


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", _("Being filled")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class DecisionKind(models.TextChoices):
    """Decisions of dynamic management of the demonstration cities."""

    WARNING = "warning", _("Warning")
    RECTIFICATION = "rectification", _("Rectification period")
    EXIT = "exit", _("Exit")
    DESIGNATION = "designation", _("New designation")


class CandidateStatus(models.TextChoices):
    APPLYING = "applying", _("Applying")
    DESIGNATED = "designated", _("Designated")
    WITHDRAWN = "withdrawn", _("Withdrawn or not designated")
