"""The managers' dashboards' pages (/dashboard/): their tables, charts and downloads. The figures are counted
by reporting/dashboard.py; this package arranges them into tables that pages show and downloads write."""
