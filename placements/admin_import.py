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
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export import resources
from import_export.admin import ImportMixin
from import_export.fields import Field
from import_export.formats.base_formats import CSV, XLSX
from import_export.results import Result, RowResult

from .importing import COLUMNS, ImportResult, import_placements_rows, read_csv_rows, read_xlsx_rows
from .models import Placement


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
    """The service's result in the shape django-import-export's pages show: one line per row."""
    result = Result()
    result.hires = hires  # our counts and warnings, for the page and the success message
    result.diff_headers = [str(heading) for heading in dataset.headers or []]
    result.total_rows = hires.rows_read
    values_by_row = dict(enumerate(dataset, start=2))
    problems_by_row: dict[int, dict[str, list[str]]] = {}
    for problem in hires.errors:
        problems_by_row.setdefault(problem.row, {}).setdefault(problem.heading, []).append(problem.message)
    for number, problems in sorted(problems_by_row.items()):
        values = values_by_row.get(number, result.diff_headers if number == 1 else ())
        result.append_invalid_row(
            number, dict(zip(result.diff_headers, values, strict=False)), ValidationError(problems)
        )
    if problems_by_row:
        return result
    for number, action in sorted(hires.row_actions.items()):
        row_result = RowResult()
        row_result.import_type = action
        row_result.diff = ["" if value is None else value for value in values_by_row[number]]
        result.append_row_result(row_result)
        result.increment_row_result_total(row_result)
    return result


def _dataset(rows: list[list[Any]]) -> tablib.Dataset:
    """A rectangular dataset keeping every row (blank ones too), so row numbers match the spreadsheet's."""
    dataset = tablib.Dataset()
    if not rows:
        return dataset
    width = max(len(row) for row in rows)
    dataset.headers = [*rows[0], *[""] * (width - len(rows[0]))]
    for row in rows[1:]:
        dataset.append([*row, *[""] * (width - len(row))])
    return dataset


class HiresXLSX(XLSX):
    """.xlsx read exactly as the command reads it (first sheet, calamine, calculated values)."""

    def create_dataset(self, in_stream, **kwargs):
        return _dataset(read_xlsx_rows(io.BytesIO(in_stream), "the uploaded file"))


class HiresCSV(CSV):
    """.csv read exactly as the command reads it (UTF-8 with or without Excel's BOM; blank lines kept)."""

    def create_dataset(self, in_stream, **kwargs):
        text = in_stream.decode(self.encoding or "utf-8-sig") if isinstance(in_stream, bytes) else in_stream
        return _dataset(list(read_csv_rows(text)))


class HiresImportMixin(ImportMixin):
    """Add to a ModelAdmin of Placement: an "Import" button that runs the hires import service."""

    import_template_name = "admin/placements/hires_import.html"
    import_formats = [HiresXLSX, HiresCSV]
    # Every imported change is already in the records' history with the importing user; an admin log
    # entry per row would only repeat it (and cost a query per row on a 10,000-row sheet).
    skip_admin_log = True

    def get_import_resource_classes(self, request):
        return [HiresSpreadsheetResource]

    def has_import_permission(self, request):
        """Only people who may add placements import them (HR and scheme administrators, not managers)."""
        return request.user.has_perm("placements.add_placement")

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
