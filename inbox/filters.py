import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from contacts.models import CompanyMembership, Role
from qualification.models import Tag

from .models import Conversation, ConversationState

MINE, UNASSIGNED = "mine", "unassigned"
ALL_STATES = "all"


def _assignee_choices():
    teammates = get_user_model().objects.filter(is_active=True).order_by("first_name", "username")
    return [(MINE, "Mine"), (UNASSIGNED, "Unassigned")] + [
        (str(u.pk), u.get_full_name() or u.get_username()) for u in teammates
    ]


class ConversationFilter(django_filters.FilterSet):
    """The inbox's filters. Every value lives in the URL, so a filtered inbox can be shared."""

    q = django_filters.CharFilter(method="search", label="Search")
    state = django_filters.ChoiceFilter(
        method="filter_state",
        label="State",
        choices=[*ConversationState.choices, (ALL_STATES, "All states")],
        empty_label=None,
    )
    assignee = django_filters.ChoiceFilter(
        method="filter_assignee", label="Assignee", choices=_assignee_choices, empty_label="Anyone"
    )
    tag = django_filters.ModelChoiceFilter(
        field_name="contact__tags",
        label="Tag",
        queryset=Tag.objects.order_by("name"),
        empty_label="Any tag",
    )
    role = django_filters.ChoiceFilter(
        field_name="contact__role",
        label="Contact",
        choices=Role.choices,
        empty_label="Users and leads",
    )
    has_company = django_filters.ChoiceFilter(
        method="filter_has_company",
        label="Company",
        choices=[("yes", "Has a company"), ("no", "No company")],
        empty_label="With or without",
    )

    class Meta:
        model = Conversation
        fields = ["q", "state", "assignee", "tag", "role", "has_company"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("state", ConversationState.OPEN)
        super().__init__(data, *args, **kwargs)
        self.user = user
        for field in self.form.fields.values():
            field.widget.attrs.setdefault("class", "")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(subject__icontains=value)
            | Q(contact__name__icontains=value)
            | Q(contact__email__icontains=value)
        )

    def filter_state(self, queryset, name, value):
        return queryset if value == ALL_STATES else queryset.filter(state=value)

    def filter_assignee(self, queryset, name, value):
        if value == MINE:
            return queryset.filter(assignee=self.user)
        if value == UNASSIGNED:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=value)

    def filter_has_company(self, queryset, name, value):
        linked = Exists(CompanyMembership.objects.filter(contact=OuterRef("contact_id")))
        return queryset.filter(linked) if value == "yes" else queryset.exclude(linked)
