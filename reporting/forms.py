"""Forms for the FOI register pages. Rules about the request itself live in the model and reporting/foi.py;
these check what a person typed and say what to fix, in the GOV.UK way ("Enter...", "The date must...")."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from careleavers.forms import GovukFormMixin
from schemes.choices import Role
from schemes.models import Membership, Organisation, Scheme

from .foi_dates import MAX_EXTENSION_WORKING_DAYS
from .models import FoiRequest, YearBasis

DATE_HINT = "For example, 19/12/2024"


class GovukDateField(forms.DateField):
    """A date typed as 19/12/2024 (or 2024-12-19), with GOV.UK error messages."""

    def __init__(self, *, label: str, **kwargs):
        kwargs.setdefault("help_text", DATE_HINT)
        kwargs.setdefault(
            "error_messages",
            {"required": f"Enter the {label.lower()}", "invalid": f"{label} must be a real date, like 19/12/2024"},
        )
        super().__init__(label=label, widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}), **kwargs)


def not_in_future(value: datetime.date, label: str) -> None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(f"The {label.lower()} must be today or in the past")


class FoiRequestForm(GovukFormMixin, forms.ModelForm):
    """Log a new request: what was asked, when, and the scope of the statistics to send. The request's own
    rules (`FoiRequest.clean`) run when the form is validated; `foi.log_request` saves it."""

    received_on = GovukDateField(label="Date received")
    year_basis = forms.ChoiceField(
        label="Years", choices=YearBasis.choices, widget=forms.RadioSelect, initial=YearBasis.CALENDAR
    )

    class Meta:
        model = FoiRequest
        fields = [
            "reference",
            "received_on",
            "requester",
            "questions",
            "organisation",
            "scheme",
            "whole_scheme",
            "year_basis",
            "first_year",
            "last_year",
        ]
        labels = {
            "reference": "FOI reference",
            "requester": "Requester (optional)",
            "organisation": "Organisation answering",
            "scheme": "Scheme (optional)",
            "whole_scheme": "Count hires in every organisation on this scheme",
            "first_year": "First year (optional)",
            "last_year": "Last year (optional)",
        }
        help_texts = {
            "organisation": "",
            "requester": "",
            "reference": "For example, FOI-2024-2480",
            "questions": "Copy the questions as the requester wrote them.",
            "scheme": "Leave empty to count hires on every scheme.",
            "first_year": "For a financial year, the year it starts: 2023 for 2023-24.",
        }
        error_messages = {
            "reference": {
                "required": "Enter the FOI reference",
                "unique": "A request with this FOI reference is already in the register",
            },
            "questions": {"required": "Enter the questions the requester asked"},
            "organisation": {"required": "Select the organisation answering"},
        }
        widgets = {
            "reference": forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}),
            "first_year": forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
            "last_year": forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
            "questions": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.all()
        if not user.is_superuser:
            organisations = organisations.filter(pk__in=Membership.objects.organisation_ids(user, [Role.FOI]))
        self.fields["organisation"].queryset = organisations
        # An officer of one organisation usually answers for it, not for one of its units: it is chosen already.
        own = set(Membership.objects.filter(user=user, role=Role.FOI).values_list("organisation_id", flat=True))
        if len(own) == 1 and not user.is_superuser:
            self.fields["organisation"].initial = own.pop()
            self.fields["organisation"].empty_label = None
        else:
            self.fields["organisation"].empty_label = "Select an organisation"
        self.fields["scheme"].queryset = Scheme.objects.all()
        self.fields["scheme"].empty_label = "All schemes"
        for name in ("first_year", "last_year"):
            self.fields[name].error_messages["invalid"] = "Enter a year as 4 digits, like 2023"


class ClarificationForm(GovukFormMixin, forms.Form):
    asked_on = GovukDateField(label="Date clarification was asked for")
    note = forms.CharField(label="What you asked (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_asked_on(self):
        value = self.cleaned_data["asked_on"]
        not_in_future(value, "Date clarification was asked for")
        return value


class ClarificationReceivedForm(GovukFormMixin, forms.Form):
    answered_on = GovukDateField(label="Date clarification was received")

    def clean_answered_on(self):
        value = self.cleaned_data["answered_on"]
        not_in_future(value, "Date clarification was received")
        return value


class ExtensionForm(GovukFormMixin, forms.Form):
    days = forms.IntegerField(
        label="Extra working days",
        min_value=1,
        max_value=MAX_EXTENSION_WORKING_DAYS,
        help_text=f"At most {MAX_EXTENSION_WORKING_DAYS} working days in all, to consider the public interest.",
        error_messages={
            "required": "Enter the number of extra working days",
            "invalid": "Enter the number of extra working days as a whole number, like 10",
            "min_value": "Enter at least 1 working day",
            "max_value": f"An extension is at most {MAX_EXTENSION_WORKING_DAYS} working days",
        },
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )
    reason = forms.CharField(
        label="Why the public interest test needs more time",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the public interest test needs more time"},
    )


class WithdrawForm(GovukFormMixin, forms.Form):
    """Nothing to fill in: the page asks the officer to confirm."""


class AnswerForm(GovukFormMixin, forms.Form):
    answered_on = GovukDateField(label="Date answered")
    sent_summary = forms.CharField(
        label="What was sent",
        help_text="For example, the response letter and the statistics pack.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter what was sent to the requester"},
    )
    pack_sent = forms.BooleanField(label="The generated pack was sent with the answer", required=False)

    def clean_answered_on(self):
        value = self.cleaned_data["answered_on"]
        not_in_future(value, "Date answered")
        return value
