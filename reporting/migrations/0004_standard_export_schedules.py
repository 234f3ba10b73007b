"""The standard export schedules, for each scheme the product ships with: the FOI-ready pack every month and
the pledge and target progress report every quarter, for the whole scheme. Beat's periodic tasks for them are
made after migrate (reporting/exports/schedules.py). Recipients are added by the people who run them.

Only adds what is missing; a schedule deleted since is not brought back (this runs once)."""

from django.db import migrations

STANDARD = [  # (export, frequency, name)
    ("foi_pack", "monthly", "{scheme} FOI-ready pack"),
    ("progress_report", "quarterly", "{scheme} pledge and target progress report"),
]


def seed(apps, schema_editor):
    Scheme = apps.get_model("schemes", "Scheme")
    ExportSchedule = apps.get_model("reporting", "ExportSchedule")
    for scheme in Scheme.objects.filter(code__in=["CLIS", "GFiE"]):
        for export, frequency, name in STANDARD:
            ExportSchedule.objects.get_or_create(
                export=export,
                scheme=scheme,
                organisation=None,
                frequency=frequency,
                defaults={"name": name.format(scheme=scheme.code), "enabled": True},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_scheduled_exports"),
        ("schemes", "0002_seed_reference_data"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
