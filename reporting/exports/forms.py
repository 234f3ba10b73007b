"""Setting up an export schedule on the exports pages (superusers also have the admin)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from careleavers.forms import GovukFormMixin
from schemes.models import Membership, Organisation, Scheme

from .models import ExportKind, ExportSchedule, changeable_scopes


class ExportScheduleForm(GovukFormMixin, forms.ModelForm):
    class Meta:
        model = ExportSchedule
        fields = ["name", "export", "scheme", "organisation", "frequency", "recipients", "enabled"]
        labels = {
            "name": "Name",
            "export": "Export",
            "scheme": "Scheme (optional)",
            "organisation": "Organisation (optional for statistics)",
            "enabled": "Run this schedule",
        }
        help_texts = {
            "name": "What the recipients will see in the email, for example CLIS FOI pack.",
            "frequency": "Each period's export is made on the first day after it ends.",
            "recipients": "They get an email with a link when each file is ready (if they may see it).",
        }
        error_messages = {
            "name": {"required": "Enter a name for the schedule"},
            "export": {"required": "Select the export"},
            "frequency": {"required": "Select how often"},
        }
        widgets = {
            "export": forms.RadioSelect,
            "frequency": forms.RadioSelect,
            "recipients": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.owner_id is None:
            self.instance.owner = user  # whose access decides which records a records extract lists
        self.scopes = changeable_scopes(user)
        self.fields["export"].choices = ExportKind.choices
        self.fields["frequency"].choices = self.fields["frequency"].choices[1:]  # no empty choice
        self.fields["scheme"].queryset = Scheme.objects.all()
        self.fields["scheme"].empty_label = "All schemes"
        organisations = Organisation.objects.all()
        if not (self.scopes.everything or self.scopes.scheme_owners):
            organisations = organisations.filter(
                pk__in=self.scopes.statistics_organisations | self.scopes.record_organisations
            )
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].empty_label = "All organisations (a whole scheme)"
        people = get_user_model().objects.filter(is_active=True).exclude(email="")
        if not user.is_superuser:
            colleagues = Membership.objects.filter(
                organisation__in=Membership.objects.filter(user=user).values("organisation")
            ).values("user")
            people = people.filter(pk__in=colleagues)
        self.fields["recipients"].queryset = people.order_by("username")
        self.fields["recipients"].label_from_instance = lambda person: f"{person.get_username()} ({person.email})"

    def clean(self):
        cleaned = super().clean()
        export, organisation, scheme = cleaned.get("export"), cleaned.get("organisation"), cleaned.get("scheme")
        if export and not self.scopes.allows(export, organisation, scheme):
            self.add_error(
                "organisation",
                "You may not schedule this export for this organisation and scheme: choose your own organisation, "
                "or a scheme your organisation runs",
            )
        return cleaned
