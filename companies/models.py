from django.db import models

from core.write_guard import guard
from qualification.models import AttributeModel, AttributeTarget, HistoryType, Tag


@guard
class Company(AttributeTarget):
    """A customer's company, keyed by the customer's own `company_id`, which never changes."""

    attribute_model = AttributeModel.COMPANY
    history_type = HistoryType.COMPANY
    standard_attribute_fields = {
        "name": "name",
        "plan": "plan",
        "monthly_spend": "monthly_spend",
        "size": "size",
        "website": "website",
        "industry": "industry",
        "remote_created_at": "remote_created_at",
        "session_count": "session_count",
        "last_request_at": "last_request_at",
    }

    company_id = models.CharField(
        "company ID",
        max_length=190,
        unique=True,
        help_text="Your own id for this company. It cannot change once set.",
    )
    name = models.CharField(max_length=255, null=True, blank=True)
    plan = models.CharField(max_length=255, null=True, blank=True)
    monthly_spend = models.FloatField(null=True, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    website = models.CharField(max_length=500, null=True, blank=True)
    industry = models.CharField(max_length=255, null=True, blank=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)
    session_count = models.PositiveIntegerField(null=True, blank=True)
    last_request_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="companies")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "companies"
        indexes = [models.Index(fields=["name"], name="company_name_idx")]

    def __str__(self) -> str:
        return self.name or self.company_id
