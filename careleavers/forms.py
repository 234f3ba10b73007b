"""GOV.UK Design System styling for Django forms, without a form library.

`GovukFormMixin` gives each widget its GOV.UK class, and after validation marks fields in error (class
modifier, `aria-describedby` pointing at the error message) so templates/includes/form_fields.html (one
field.html per field) and error_summary.html can render any form the way the Design System shows it.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

# Widget input_type / class name -> (GOV.UK class, error modifier)
WIDGET_CLASSES: dict[str, tuple[str, str]] = {
    "textarea": ("govuk-textarea", "govuk-textarea--error"),
    "select": ("govuk-select", "govuk-select--error"),
    "checkbox": ("govuk-checkboxes__input", ""),
    "radio": ("govuk-radios__input", ""),
    "file": ("govuk-file-upload", "govuk-file-upload--error"),
}
DEFAULT_CLASSES = ("govuk-input", "govuk-input--error")


def _classes_for(widget: forms.Widget) -> tuple[str, str]:
    if isinstance(widget, forms.Textarea):
        return WIDGET_CLASSES["textarea"]
    if isinstance(widget, forms.CheckboxSelectMultiple):  # a RadioSelect subclass: before it
        return WIDGET_CLASSES["checkbox"]
    if isinstance(widget, forms.RadioSelect):
        return WIDGET_CLASSES["radio"]
    if isinstance(widget, forms.Select):
        return WIDGET_CLASSES["select"]
    if isinstance(widget, forms.CheckboxInput):
        return WIDGET_CLASSES["checkbox"]
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return WIDGET_CLASSES["file"]
    return DEFAULT_CLASSES


class GovukFormMixin:
    """Mix into a Form or ModelForm (before it); render with `{% include "includes/form_fields.html" %}`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            base, _ = _classes_for(field.widget)
            existing = field.widget.attrs.get("class", "")
            field.widget.attrs["class"] = f"{base} {existing}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            widget = self.fields[name].widget
            _, error_class = _classes_for(widget)
            if error_class and error_class not in widget.attrs["class"]:
                widget.attrs["class"] += f" {error_class}"
            described_by = [f"{bound.auto_id}_helptext"] if self.fields[name].help_text else []
            widget.attrs["aria-describedby"] = " ".join([*described_by, f"{bound.auto_id}_error"])

    def first_field_id(self) -> str:
        """Where a form-wide error in the error summary links to."""
        return self[next(iter(self.fields))].id_for_label


class GovukAuthenticationForm(GovukFormMixin, AuthenticationForm):
    """The sign-in form, styled, with a message that does not say which of the two was wrong."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "spellcheck": "false"})
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
