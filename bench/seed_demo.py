"""How long `seed_demo` takes to create N demo placements, against a baseline in the same run.

Baseline: a plain `bulk_create` of N bare candidates (no history, no placements, no outcomes), the least any
loader of N records must do. The ratio says what realism and history cost on top; the seconds say whether
`make run` stays quick. Each measurement runs in a transaction that is rolled back.

    python bench/seed_demo.py [--placements 3000]        # SQLite file under bench/out/ by default
    DATABASE_URL=postgres://... python bench/seed_demo.py
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careleavers.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
(ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench' / 'out' / 'seed_demo.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from placements.demo import create_demo_records, demo_candidates  # noqa: E402
from placements.models import Candidate  # noqa: E402
from schemes.models import Organisation  # noqa: E402


def timed(action) -> float:
    with transaction.atomic():
        began = time.perf_counter()
        action()
        elapsed = time.perf_counter() - began
        transaction.set_rollback(True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--placements", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if demo_candidates().exists():
        sys.exit("The benchmark database already holds demo records; use an empty one.")
    ons = Organisation.objects.get(code="ONS")

    def baseline():
        Candidate.objects.bulk_create(
            [Candidate(organisation=ons, reference=f"BENCH-{n}") for n in range(args.placements)], batch_size=500
        )

    baselines = [timed(baseline) for _ in range(args.repeat)]
    seeds = [timed(lambda: create_demo_records(placements=args.placements)) for _ in range(args.repeat)]
    best_baseline, best_seed = min(baselines), min(seeds)
    print(
        f"{connection.vendor}, {args.placements} placements: seed_demo records {best_seed:.2f}s, "
        f"bare bulk_create {best_baseline:.2f}s, ratio {best_seed / best_baseline:.1f} (best of {args.repeat})"
    )


if __name__ == "__main__":
    main()
