"""Reference data from a workbook, in the admin: the `import_reference` service behind a small upload page.

Added to the Organisations admin (the entry point administrators use for reference data) as an
"Import reference data" button. "Check" runs the import as a dry run and lists every problem or what
would change; "Import" does it for real, all or nothing. Same service, same messages as the command.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .importing import import_reference_file
from .spreadsheet_files import check_file_size
from .spreadsheets import UnreadableFile

REFERENCE_MODELS = ("organisation", "location", "scheme", "grade", "target")
REFERENCE_PERMISSIONS = [f"schemes.{action}_{model}" for model in REFERENCE_MODELS for action in ("add", "change")]


class ReferenceWorkbookForm(forms.Form):
    workbook = forms.FileField(
        help_text="An .xlsx workbook with any of the sheets Organisations, Locations, Schemes, Grades, Targets."
    )

    def clean_workbook(self):
        """A file over the size limit is refused before any of it is read (the other limits, as it is read)."""
        upload = self.cleaned_data["workbook"]
        try:
            check_file_size(upload.size, upload.name)
        except UnreadableFile as error:
            raise forms.ValidationError(str(error)) from error
        return upload


class ReferenceImportMixin:
    """Add to a ModelAdmin (Organisations) for the "Import reference data" page."""

    change_list_template = "admin/schemes/reference_import_change_list.html"

    def get_urls(self):
        urls = [
            path(
                "import-reference/",
                self.admin_site.admin_view(self.reference_import_view),
                name="schemes_import_reference",
            )
        ]
        return urls + super().get_urls()

    def has_reference_import_permission(self, request) -> bool:
        """Only people who may add and change every kind of reference data (administrators)."""
        return request.user.has_perms(REFERENCE_PERMISSIONS)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_reference_import_permission": self.has_reference_import_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def reference_import_view(self, request):
        if not self.has_reference_import_permission(request):
            raise PermissionDenied
        form = ReferenceWorkbookForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["workbook"]
            dry_run = "import" not in request.POST
            try:
                result = import_reference_file(upload, name=upload.name, dry_run=dry_run)
            except UnreadableFile as error:
                form.add_error("workbook", str(error))
            if result is not None and result.ok and not dry_run:
                messages.success(request, f"Reference data imported from {upload.name}. {result.summary()}")
                return HttpResponseRedirect(reverse(f"{self.admin_site.name}:schemes_organisation_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import reference data",
            "opts": self.model._meta,
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/schemes/import_reference.html", context)
