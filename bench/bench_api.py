"""Load test of the REST API: N concurrent clients (wrk) against gunicorn + PostgreSQL (+ Redis cache).

    apt-get install wrk
    createdb -h 127.0.0.1 -U postgres cl_bench_api
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench_api REDIS_URL=redis://127.0.0.1:6379/5
    SECRET_KEY=bench python manage.py migrate && python bench/populate.py --placements 1000000
    psql -h 127.0.0.1 -U postgres cl_bench_api -c 'VACUUM ANALYZE'
    python bench/bench_api.py [--clients 20] [--seconds 20] [--runs 3] [--workers W --threads T] [--code DIR]

Paired runs (the code before a change against the code after, in the same run): check the earlier commit out
with `git worktree add /tmp/before COMMIT` and alternate `--code /tmp/before` with the default. The server listens
on 127.0.0.1:8765 (BENCH_API_PORT to change it).

It starts gunicorn itself (the project's gunicorn.conf.py, DEBUG off, as in production), creates the API clients
below with tokens, times the first (cold) statistics request per scope, then runs each scenario with `wrk`
(a C load generator: it costs little CPU, so the server keeps the two cores), first one client alone (service
time), then N clients, each a keep-alive connection sending its next request as soon as the answer comes
(closed loop: the harshest reading of "N concurrent clients"). Scenarios:

- baseline: GET /api/v1/schemes/ (authentication, throttling, a tiny query): the framework's own cost, in the
  same run, so the others can be read as ratios to it;
- stats: a mix of /api/v1/stats/hires/ and /stats/outcomes/ over several scopes, `by` and year ranges, with the
  cache warm;
- records: GET /api/v1/placements/ pages (and filters) as ONS HR, who sees about 45,000 of the 1,000,000;
  also with 20 a page.

Each scenario is a list of (client, path) pairs written to a file that bench/bench_api.lua sends round-robin;
each request carries its client's token. For each scenario the table also gives the CPU time per request of
gunicorn (all workers) and of PostgreSQL, read from /proc, and how busy the whole machine was.

Targets (issue 4): stats p95 < 300 ms with no errors; records list p95 < 200 ms; 20 clients.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "bench_api.lua"
PORT = int(os.environ.get("BENCH_API_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
TICK = os.sysconf("SC_CLK_TCK")

# The API clients the scenarios use: username -> (role, organisation, statistics level as (organisations,
# schemes)). Each client gets one statistics level (decision 0053), so each kind of scope has its own client.
CLIENTS = {
    "bench-api": ("api", "ONS", ("each", "each")),  # one scheme at one organisation
    "bench-api-national": ("api", "DFE", ("all", "each")),  # a scheme nationally
    "bench-api-organisation": ("api", "DWP", ("each", "all")),  # an organisation, all schemes
    "bench-api-everything": ("api", "CO", ("all", "all")),  # every hire
    "bench-hr": ("hr", "ONS", ("each", "each")),
}

SCOPES = [{"scheme": "CLIS"}, {"scheme": "GFiE", "organisation": "ONS"}, {"organisation": "DWP"}, {}]
HIRES_BY = ["year", "year,location", "year,grade", "location,grade", "location"]
RANGES = [{}, {"from": 2019, "to": 2024}, {"from": 2021, "to": 2021}, {"from": 2016}]
REQUESTS_PER_SCENARIO = 2000


def stats_client(scope: dict) -> str:
    """The client whose statistics level gives the scope."""
    return {
        (True, True): "bench-api",
        (False, True): "bench-api-national",
        (True, False): "bench-api-organisation",
        (False, False): "bench-api-everything",
    }["organisation" in scope, "scheme" in scope]


def path(endpoint: str, params: dict) -> str:
    return f"{endpoint}?{urllib.parse.urlencode(params)}" if params else endpoint


def stats_requests(rng: random.Random) -> list[tuple[str, str]]:
    scope = rng.choice(SCOPES)
    if rng.random() < 0.25:
        return [(stats_client(scope), path("/api/v1/stats/outcomes/", {**scope, "by": "year"}))]
    by = rng.choice(HIRES_BY)
    years = rng.choice(RANGES) if "year" in by or by == "location" else {}  # location,grade: all years only
    return [(stats_client(scope), path("/api/v1/stats/hires/", {**scope, "by": by, **years}))]


def records_requests(rng: random.Random, page_size: int = 50) -> list[tuple[str, str]]:
    choice = rng.random()
    if choice < 0.6:
        params = {"page": rng.randint(1, 20), "page_size": page_size}
    elif choice < 0.8:
        params = {"scheme": "CLIS", "start_year": rng.randint(2015, 2025), "page_size": page_size}
    else:
        params = {"candidate_reference": f"BENCH-{rng.randrange(1_000_000)}"}
    return [("bench-hr", path("/api/v1/placements/", params))]


SCENARIOS = [
    ("baseline: GET /api/v1/schemes/", lambda rng: [("bench-api", "/api/v1/schemes/")]),
    ("stats (warm cache)", stats_requests),
    ("records list (ONS HR, 50 a page)", records_requests),
    ("records list, 20 a page", lambda rng: records_requests(rng, page_size=20)),
]


def manage(code: Path, *args: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=code, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def get(url: str, token: str | None = None, timeout: float = 120) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# CPU accounting from /proc: seconds of user + system time.
def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd on (state, ppid, ...)


def _cpu_of(pids) -> float:
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            # utime, stime, and the same of children that ended (fields 14 to 17): PostgreSQL backends that
            # close (CONN_MAX_AGE) are counted on the postmaster.
            total += sum(int(value) for value in fields[11:15])
    return total / TICK


def _processes() -> list[tuple[int, int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            fields = _stat(int(entry.name))
            if fields:
                found.append((int(entry.name), int(fields[1]), comm))
    return found


def cpu_sample(server_pid: int) -> dict:
    processes = _processes()
    gunicorn = [pid for pid, ppid, _ in processes if pid == server_pid or ppid == server_pid]
    postgres = [pid for pid, _, comm in processes if comm.startswith("postgres")]
    with open("/proc/stat") as handle:
        values = [int(value) for value in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return {
        "server": _cpu_of(gunicorn),
        "db": _cpu_of(postgres),
        "busy": (sum(values) - idle) / TICK,
        "total": sum(values) / TICK,
    }


def cpu_probe() -> float:
    """Milliseconds of CPU a fixed Python loop takes, on the idle machine just before a scenario: these machines'
    speed drifts by a third within an hour (other tenants of the host), so each row says how fast it was."""
    started = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i
    return 1000 * (time.process_time() - started)


def thinking_script(think_ms: int) -> Path:
    """bench_api.lua with clients that wait `think_ms` after each answer before asking again (wrk's `delay`)."""
    script = Path(tempfile.mkdtemp(prefix="bench_api_lua_")) / "thinking.lua"
    script.write_text(f"{LUA.read_text()}\nfunction delay()\n  return {think_ms}\nend\n")
    return script


def run_wrk(
    name: str, requests_file: Path, connections: int, seconds: float, server_pid: int, think_ms: int = 0
) -> dict:
    load = os.getloadavg()[0]
    probe = cpu_probe()
    before = cpu_sample(server_pid)
    command = [
        "wrk",
        "-c",
        str(connections),
        "-t",
        str(min(connections, 2)),
        "-d",
        f"{seconds:g}s",
        "--timeout",
        "30s",
        "-s",
        str(thinking_script(think_ms) if think_ms else LUA),
        BASE,
        "--",
        str(requests_file),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = cpu_sample(server_pid)
    line = next((line for line in output.splitlines() if line.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    result = json.loads(line[len("RESULT ") :])
    count = max(result["requests"], 1)
    errors = sum(result[key] for key in ("non2xx", "connect", "read", "write", "timeout"))
    return {
        "scenario": f"{name}, each client waiting {think_ms} ms between requests" if think_ms else name,
        "clients": connections,
        "requests": result["requests"],
        "per_second": result["requests"] / (result["duration_us"] / 1e6),
        "p50": result["p50_us"] / 1000,
        "p95": result["p95_us"] / 1000,
        "p99": result["p99_us"] / 1000,
        "max": result["max_us"] / 1000,
        "errors": errors,
        "first_bad": result["first_bad"],
        "server_cpu_ms": 1000 * (after["server"] - before["server"]) / count,
        "db_cpu_ms": 1000 * (after["db"] - before["db"]) / count,
        "busy": 100 * (after["busy"] - before["busy"]) / max(after["total"] - before["total"], 1e-9),
        "load": load,
        "probe": probe,
    }


def print_table(results: list[dict]) -> None:
    print(
        "| scenario | clients | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors "
        "| server CPU ms/req | db CPU ms/req | machine busy | load before | probe ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['scenario']} | {r['clients']} | {r['requests']} | {r['per_second']:.0f} | {r['p50']:.0f} | "
            f"{r['p95']:.0f} | {r['p99']:.0f} | {r['max']:.0f} | {r['errors']} | {r['server_cpu_ms']:.1f} | "
            f"{r['db_cpu_ms']:.1f} | {r['busy']:.0f}% | {r['load']:.1f} | {r['probe']:.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20, help="per scenario and client count")
    parser.add_argument("--runs", type=int, default=1, help="repeat the whole set of scenarios")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: gunicorn.conf.py's)")
    parser.add_argument("--only", help="run only scenarios whose name contains this")
    parser.add_argument(
        "--code",
        type=Path,
        default=ROOT,
        help="serve the product from this checkout (e.g. a `git worktree` of an earlier commit, for paired runs)",
    )
    parser.add_argument("--no-alone", action="store_true", help="skip the one-client runs")
    parser.add_argument(
        "--think",
        default="",
        help="also run each scenario with the N clients waiting this many ms after each answer (comma-separated)",
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to the PostgreSQL benchmark database (see the docstring).")

    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghij"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "API_RATE_USER": "10000000/hour",
        "API_RATE_STATS": "10000000/hour",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
    }
    tokens = {}
    for username, (role, organisation, (organisations, schemes)) in CLIENTS.items():
        out = manage(
            args.code, "create_user", username, "--role", role, "--organisation", organisation, "--token", env=env
        )
        tokens[username] = out.split()[-1]
        manage(args.code, "statistics_level", username, "--organisations", organisations, "--schemes", schemes, env=env)

    if os.environ.get("REDIS_URL"):
        # Start every run with empty throttle histories (earlier runs' would weigh on the throttle's cost).
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        for key in client.scan_iter("*throttle*"):
            client.delete(key)

    workdir = Path(tempfile.mkdtemp(prefix="bench_api_"))
    scenarios = [(name, make) for name, make in SCENARIOS if not args.only or args.only in name]
    files = {}
    for index, (name, make) in enumerate(scenarios):
        rng = random.Random(index)
        pairs = []
        while len(pairs) < REQUESTS_PER_SCENARIO:
            pairs.extend(make(rng))
        files[name] = workdir / f"scenario{index}.tsv"
        files[name].write_text("".join(f"{tokens[client]}\t{p}\n" for client, p in pairs))

    command = [str(Path(sys.executable).parent / "gunicorn"), "careleavers.wsgi", "--log-level", "warning"]
    if args.workers:
        command += ["--workers", str(args.workers)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    server = subprocess.Popen(command, cwd=args.code, env=env)
    runs: list[list[dict]] = []
    try:
        for _ in range(150):
            try:
                # Ready when an authenticated API request is answered (/health/ also asks for Celery workers).
                if get(f"{BASE}/api/v1/schemes/", tokens["bench-api"], timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start")
        status, body = get(f"{BASE}/api/v1/placements/", tokens["bench-hr"])
        print(f"ONS HR sees {json.loads(body)['count']:,} placements.")
        # A new records version, so the first request per scope below really computes.
        manage(
            args.code,
            "shell",
            "-c",
            "from placements.signals import announce_records_changed; announce_records_changed()",
            env=env,
        )
        print("Cold statistics (first request per scope computes and protects the scope's family):")
        for scope in SCOPES:
            started = time.perf_counter()
            url = BASE + path("/api/v1/stats/hires/", {**scope, "by": "year"})
            status, _ = get(url, tokens[stats_client(scope)])
            print(f"  {scope or 'all'}: {1000 * (time.perf_counter() - started):.0f} ms ({status})")
        # Warm every worker's connections and caches (each statistics answer once) before measuring.
        for name in files:
            run_wrk(name, files[name], args.clients, 3, server.pid)
        for run in range(args.runs):
            results = []
            if not args.no_alone:
                results += [run_wrk(f"{name}", files[name], 1, args.seconds, server.pid) for name in files]
            results += [run_wrk(f"{name}", files[name], args.clients, args.seconds, server.pid) for name in files]
            for think_ms in (int(value) for value in args.think.split(",") if value):
                results += [
                    run_wrk(name, files[name], args.clients, args.seconds, server.pid, think_ms) for name in files
                ]
            runs.append(results)
            print(f"\nRun {run + 1} of {args.runs}, load average now {os.getloadavg()}")
            print_table(results)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"\n{args.seconds:g} s per scenario; gunicorn.conf.py, with {' '.join(command[2:])}")
    if args.runs > 1:
        print("\nMedian over the runs:")
        merged = []
        for index, first in enumerate(runs[0]):
            group = [run[index] for run in runs]
            merged.append(
                {
                    **first,
                    **{
                        key: statistics.median(r[key] for r in group)
                        for key in (
                            "requests",
                            "per_second",
                            "p50",
                            "p95",
                            "p99",
                            "max",
                            "server_cpu_ms",
                            "db_cpu_ms",
                            "probe",
                        )
                    },
                    "errors": sum(r["errors"] for r in group),
                    "busy": statistics.median(r["busy"] for r in group),
                    "load": max(r["load"] for r in group),
                }
            )
        print_table(merged)
        runs.append(merged)
    final = runs[-1]
    baselines = {r["clients"]: r["p95"] for r in final if r["scenario"].startswith("baseline")}
    for r in final:
        if not r["scenario"].startswith("baseline") and r["clients"] in baselines:
            ratio = r["p95"] / baselines[r["clients"]]
            print(f"{r['scenario']}, {r['clients']} client(s): p95 {ratio:.1f} x the baseline's")
    for r in final:
        if r["first_bad"]:
            print(r["scenario"], r["clients"], "first error:", r["first_bad"])


if __name__ == "__main__":
    main()
