"""Scheduled exports (docs/interfaces.md section 5): schedules and runs (models), periods, the files each export
writes (builders), how a run is made exactly once (runs), the emails sent when one is ready (notify).

What the exports read from the rest of the product, the FOI pack, protected counts and the records a person
may see, comes through one module, sources.py, so each rule keeps its one home.
"""
