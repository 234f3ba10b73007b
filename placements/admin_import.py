"""The admin's hires import: django-import-export's upload, preview and confirm pages over our import service.

django-import-export drives the screens (choose a file, see every row's fate or its errors, confirm);
`HiresSpreadsheetResource.import_data` hands the whole sheet to `placements.importing.import_placements_rows`,
the service the `import_placements` command uses, so the admin refuses exactly what the command refuses,
with the same row, heading and reason, before anything is saved. See docs/decisions/0011.
"""

from __future__ import annotations

import io
from typing import Any

import tablib
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.text import capfirst
from django.views.decorators.http import require_POST
from import_export import resources
from import_export.admin import ImportMixin
from import_export.fields import Field
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.results import Result, RowResult
from import_export.tmp_storages import BaseStorage

from schemes.spreadsheet_files import Sheet, UnreadableFile, check_file_size, read_first_sheet
from schemes.spreadsheets import QUOTED_CHARACTERS

from . import uploads
from .import_columns import COLUMNS
from .import_template import build_template
from .importing import ImportResult, import_placements_rows
from .models import Placement

# Rows the preview lists: every row is checked, but a page of 100,000 rows helps nobody and costs memory.
PREVIEW_ROWS = 1000


class HiresSpreadsheetResource(resources.Resource):
    """A resource whose import is the hires import service (docs/interfaces.md section 1), nothing else."""

    class Meta:
        model = Placement

    @classmethod
    def get_display_name(cls) -> str:
        return "Hires spreadsheet (one row per placement)"

    def get_user_visible_fields(self):
        """The headings the page lists under "This importer will import the following fields"."""
        return [Field(attribute=column.key, column_name=column.heading) for column in COLUMNS]

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        """Check (dry run: the preview) or import (after confirmation) the whole sheet with our service."""
        name = kwargs.get("file_name") or "a spreadsheet"
        hires = import_placements_rows(
            dataset.headers or [],
            (tuple(row) for row in dataset),
            dry_run=dry_run,
            user=kwargs.get("user"),
            change_reason=f"Imported in the admin from {name}",
        )
        return as_import_export_result(hires, dataset)


def as_import_export_result(hires: ImportResult, dataset) -> Result:
    """The service's result in the shape django-import-export's pages show: one line per row with problems (the
    rows of the problems listed), or one per row of the first PREVIEW_ROWS, each cell cut to a short prefix."""
    result = Result()
    result.hires = hires  # our counts and warnings, for the page and the success message
    result.diff_headers = [_shown(heading) for heading in dataset.headers or []]
    result.total_rows = hires.rows_read
    problems_by_row: dict[int, dict[str, list[str]]] = {}
    for problem in hires.errors:
        problems_by_row.setdefault(problem.row, {}).setdefault(problem.heading, []).append(problem.message)
    if problems_by_row:
        for number, problems in sorted(problems_by_row.items()):
            values = dataset[number - 2] if 2 <= number < len(dataset) + 2 else dataset.headers or ()
            shown = dict(zip(result.diff_headers, map(_shown, values), strict=False))
            result.append_invalid_row(number, shown, ValidationError(problems))
        return result
    result.rows_not_shown = max(0, len(hires.row_actions) - PREVIEW_ROWS)
    for shown_rows, (number, action) in enumerate(sorted(hires.row_actions.items())):
        result.totals[action] += 1
        if shown_rows < PREVIEW_ROWS:
            row_result = RowResult()
            row_result.import_type = action
            row_result.diff = [_shown(value) for value in dataset[number - 2]]
            result.append_row_result(row_result)
    return result


def _shown(value: Any) -> Any:
    """A cell as the admin's pages show it: empty for nothing, text cut to its first characters."""
    if value is None:
        return ""
    if isinstance(value, str) and len(value) > QUOTED_CHARACTERS:
        return f"{value[:QUOTED_CHARACTERS]}… ({len(value):,} characters)"
    return value


def _dataset(sheet: Sheet) -> tablib.Dataset:
    """A rectangular dataset keeping every row (blank ones too), so row numbers match the spreadsheet's."""
    rows = list(sheet.rows)
    width = max(len(row) for row in [sheet.headings, *rows])
    dataset = tablib.Dataset()
    dataset.headers = [*sheet.headings, *[""] * (width - len(sheet.headings))]
    for row in rows:
        dataset.append([*row, *[""] * (width - len(row))])
    return dataset


class HiresXLSX(XLSX):
    """.xlsx read exactly as the command reads it: within the import limits, first sheet, calculated values."""

    def create_dataset(self, in_stream, **kwargs):
        return _dataset(read_first_sheet(io.BytesIO(in_stream), name="the uploaded file", kind=".xlsx"))


class HiresCSV(CSV):
    """.csv read exactly as the command reads it: within the import limits, in whichever text encoding the
    spreadsheet program wrote it (the bytes are decoded by our reader, not by django-import-export)."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        return _dataset(read_first_sheet(io.BytesIO(in_stream), name="the uploaded file", kind=".csv"))


class HiresImportForm(ImportForm):
    """The upload form, refusing a file over the size limit before any of it is read."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            check_file_size(upload.size, upload.name)
        except UnreadableFile as error:
            raise ValidationError(str(error)) from error
        return upload


class CheckedUploadStorage(BaseStorage):
    """Where django-import-export keeps an upload between its check and its confirmation: nowhere, while it is
    checked (`save` keeps the bytes on this object, for the check to read); then, if the check passes,
    `placements.uploads` (HiresImportMixin.get_confirm_form_initial); at confirmation `name` is the id of the
    upload the user's signed token named (HiresConfirmImportForm), read and then deleted."""

    def save(self, data):
        self.data = data

    def read(self):
        return self.data if self.name is None else uploads.content_of(self.name)

    def remove(self):
        uploads.remove(self.name)


class HiresConfirmImportForm(ConfirmImportForm):
    """The confirm page's form: one hidden field, the signed token of the user's kept upload. What was checked
    (the file, its name and format) is read back from the upload, never from the page."""

    original_file_name = None
    format = None
    resource = None

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_import_file_name(self):
        try:
            self.upload = uploads.claim(self.user, self.cleaned_data["import_file_name"])
        except uploads.UploadRefused as refused:
            raise ValidationError(refused.message) from refused
        return self.upload.pk

    def clean(self):
        cleaned = super().clean()
        if hasattr(self, "upload"):
            cleaned.update(original_file_name=self.upload.file_name, format=self.upload.format, resource=0)
        return cleaned


class HiresImportMixin(ImportMixin):
    """Add to a ModelAdmin of Placement: an "Import" button that runs the hires import service."""

    import_template_name = "admin/placements/hires_import.html"
    import_form_class = HiresImportForm
    import_formats = [HiresXLSX, HiresCSV]
    tmp_storage_class = CheckedUploadStorage
    confirm_form_class = HiresConfirmImportForm
    # Every imported change is already in the records' history with the importing user; an admin log
    # entry per row would only repeat it (and cost a query per row on a 10,000-row sheet).
    skip_admin_log = True

    def get_urls(self):
        template = path(
            "import/template/",
            self.admin_site.admin_view(self.import_template_view),
            name=f"{self.model._meta.app_label}_{self.model._meta.model_name}_import_template",
        )
        return [template, *super().get_urls()]

    def import_template_view(self, request):
        """The import template for this user (placements/import_template.py): their lists, the column notes."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        return HttpResponse(
            build_template(request.user),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="hires-import-template.xlsx"'},
        )

    def get_import_resource_classes(self, request):
        return [HiresSpreadsheetResource]

    def add_data_read_fail_error_to_form(self, form, e):
        """A file refused at the door (unreadable, or over a limit) is refused with the reader's own words."""
        if isinstance(e, UnreadableFile):
            form.add_error("import_file", capfirst(str(e)))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def has_import_permission(self, request):
        """Only people who may add placements import them (HR and scheme administrators, not managers)."""
        return request.user.has_perm("placements.add_placement")

    def get_confirm_form_initial(self, request, import_form):
        """Keep the file that passed its check for this user's confirmation (a refused file is never kept)."""
        if import_form is None:
            return {}
        upload = import_form.cleaned_data["import_file"]
        token = uploads.keep(
            request.user, upload.name, int(import_form.cleaned_data["format"]), b"".join(upload.chunks())
        )
        return {"import_file_name": token}

    def get_confirm_form_kwargs(self, request, import_form=None):
        return {**super().get_confirm_form_kwargs(request, import_form), "user": request.user}

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """Confirm: import the user's kept upload, or send them back to choose the file again if it is gone.
        (django-import-export then checks its form again: the same token, the same locked row.)"""
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            for problems in confirm_form.errors.values():
                for problem in problems:
                    messages.error(request, problem)
            return HttpResponseRedirect(reverse("admin:placements_placement_import", current_app=self.admin_site.name))
        return super().process_import(request, **kwargs)

    def process_result(self, result, request):
        """After confirmation: say what was saved, or (if the file went wrong since the preview) why not."""
        hires: ImportResult = result.hires
        url = reverse("admin:placements_placement_changelist", current_app=self.admin_site.name)
        if not hires.ok:
            for problem in hires.errors:
                messages.error(request, str(problem))
            messages.error(request, "Nothing was saved.")
            return HttpResponseRedirect(reverse("admin:placements_placement_import", current_app=self.admin_site.name))
        for warning in hires.warnings:
            messages.warning(request, warning)
        messages.success(request, f"Import finished. {hires.summary()}")
        return HttpResponseRedirect(url)
