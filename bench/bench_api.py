"""Load test of the REST API: 20 concurrent clients against gunicorn + PostgreSQL (+ Redis cache).

    createdb -h 127.0.0.1 -U postgres cl_bench_api
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench_api SECRET_KEY=bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench_api python bench/populate.py --placements 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench_api REDIS_URL=redis://127.0.0.1:6379/5 \\
        python bench/bench_api.py [--clients 20] [--seconds 20] [--workers 4]

It starts gunicorn itself (DEBUG off, as in production), creates two clients (an `api` user and an ONS HR user)
with tokens, then for each scenario runs N threads, each with its own keep-alive connection, sending requests
back to back for a fixed time, and reports latency percentiles and errors:

- baseline: GET /api/v1/schemes/ (authentication, throttling, a tiny query): the framework's own cost;
- stats: a mix of /api/v1/stats/hires/ and /stats/outcomes/ queries over several scopes, `by` and year
  ranges, as the API client, with the cache warm (each scope's cold computation is timed separately first);
- records: GET /api/v1/placements/ pages (and filters) as ONS HR, who sees about 45,000 of the 1,000,000.

Targets (issue 4): stats p95 < 300 ms, no errors; records list p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"

SCOPES = [{"scheme": "CLIS"}, {"scheme": "GFiE", "organisation": "ONS"}, {"organisation": "DWP"}, {}]
HIRES_BY = ["year", "year,location", "year,grade", "location,grade", "location"]
RANGES = [{}, {"from": 2019, "to": 2024}, {"from": 2021, "to": 2021}, {"from": 2016}]


def manage(*args: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def token_for(username: str, role: str, env: dict) -> str:
    return manage("create_user", username, "--role", role, "--organisation", "ONS", "--token", env=env).split()[-1]


def stats_request(rng: random.Random) -> tuple[str, dict]:
    scope = rng.choice(SCOPES)
    if rng.random() < 0.25:
        return "/api/v1/stats/outcomes/", {**scope, "by": "year"}
    by = rng.choice(HIRES_BY)
    years = rng.choice(RANGES) if "year" in by or by == "location" else {}  # location,grade: all years only
    return "/api/v1/stats/hires/", {**scope, "by": by, **years}


def records_request(rng: random.Random, page_size: int = 50) -> tuple[str, dict]:
    choice = rng.random()
    if choice < 0.6:
        return "/api/v1/placements/", {"page": rng.randint(1, 20), "page_size": page_size}
    if choice < 0.8:
        return "/api/v1/placements/", {"scheme": "CLIS", "start_year": rng.randint(2015, 2025), "page_size": page_size}
    return "/api/v1/placements/", {"candidate_reference": f"BENCH-{rng.randrange(1_000_000)}"}


def run(name: str, make_request, token: str, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        mine, my_errors = [], []
        while time.perf_counter() < stop_at:
            path, params = make_request(rng)
            started = time.perf_counter()
            try:
                response = session.get(BASE + path, params=params, timeout=30)
                if response.status_code != 200:
                    my_errors.append(f"{response.status_code} {path} {params}")
            except requests.RequestException as error:
                my_errors.append(f"{type(error).__name__} {path}")
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors.extend(my_errors)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def percentile(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {
        "scenario": name,
        "requests": len(latencies),
        "per_second": len(latencies) / seconds,
        "p50": percentile(0.50),
        "p95": percentile(0.95),
        "p99": percentile(0.99),
        "max": 1000 * latencies[-1],
        "mean": 1000 * statistics.fmean(latencies),
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (gthread, 2 threads each)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to the PostgreSQL benchmark database (see the docstring).")

    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghij"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "CONN_MAX_AGE": "60",
        "API_RATE_USER": "10000000/hour",
        "API_RATE_STATS": "10000000/hour",
        "NEW_USER_PASSWORD": "bench-only-password-not-for-use",
        "LOG_LEVEL": "WARNING",
    }
    load_before = os.getloadavg()
    api_token = token_for("bench-api", "api", env)
    hr_token = token_for("bench-hr", "hr", env)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "careleavers.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                if requests.get(f"{BASE}/health/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start")
        count = requests.get(f"{BASE}/api/v1/placements/", headers={"Authorization": f"Token {hr_token}"}).json()
        print(f"ONS HR sees {count['count']:,} placements.")
        # A new records version, so the first request per scope below really computes.
        manage(
            "shell",
            "-c",
            "from placements.signals import announce_records_changed; announce_records_changed()",
            env=env,
        )
        print("Cold statistics (first request per scope computes and protects the scope's family):")
        for scope in SCOPES:
            started = time.perf_counter()
            response = requests.get(
                f"{BASE}/api/v1/stats/hires/",
                params={**scope, "by": "year"},
                headers={"Authorization": f"Token {api_token}"},
                timeout=120,
            )
            print(f"  {scope or 'all'}: {1000 * (time.perf_counter() - started):.0f} ms ({response.status_code})")
        scenarios = [
            ("baseline: GET /api/v1/schemes/", lambda rng: ("/api/v1/schemes/", {}), api_token),
            ("stats (warm cache)", stats_request, api_token),
            ("records list (ONS HR)", records_request, hr_token),
            ("records list, 20 a page", lambda rng: records_request(rng, page_size=20), hr_token),
        ]
        # One client alone first: each request's service time, without queueing behind the others.
        results = [run(f"{name}, 1 client", make, token, 1, args.seconds / 2) for name, make, token in scenarios]
        results += [
            run(f"{name}, {args.clients} clients", make, token, args.clients, args.seconds)
            for name, make, token in scenarios
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(
        f"\n{args.seconds:.0f} s per scenario ({args.seconds / 2:.0f} s alone), "
        f"gunicorn {args.workers} workers x 2 threads"
    )
    print(f"load average before and after: {load_before} / {os.getloadavg()}\n")
    print("| scenario | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['scenario']} | {r['requests']} | {r['per_second']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} | "
            f"{r['p99']:.0f} | {r['max']:.0f} | {r['errors']} |"
        )
    for first in (0, len(scenarios)):
        baseline = results[first]["p95"]
        for r in results[first + 1 : first + len(scenarios)]:
            print(f"{r['scenario']}: p95 {r['p95'] / baseline:.1f} x the baseline's")
    for r in results:
        if r["first_errors"]:
            print(r["scenario"], "errors:", r["first_errors"])


if __name__ == "__main__":
    main()
