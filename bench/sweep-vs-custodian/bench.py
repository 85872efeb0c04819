"""sagefence sweep beside Cloud Custodian and the emulator's floor: one emulator, one data set.

Started by ``run.sh`` (``make bench-sweep``), which builds the binaries and the venvs, then
runs this file with the emulator venv's Python:

1. starts ``tests/emulator/sagefence_moto.py --port 0`` and seeds it (``seed.py``, not timed);
2. runs, one after the other against that emulator and data, each once:
   (c) the floor (``sweep_floor``: the same list, describe and ListTags calls at sagefence's
   concurrency, no evaluation), (a) ``sagefence sweep --dry-run`` (every resource type),
   (a1) the same sweep of only the types the policies and the floor cover (``--types
   notebooks,training-jobs,models``), (b) ``custodian run --dryrun --cache-period 0`` with
   ``policies.yml``, and (b1) the same Custodian run with a fresh per-run cache file, so each
   resource type is fetched once instead of once per policy;
3. measures each: wall time of the process, HTTP calls the emulator received (its request
   counter, zeroed before each run) and the process's peak RSS (``getrusage`` of a wrapper's
   only child);
4. prints a table, the per-action calls, the ratios a/b and a/c against the targets, and
   compares findings rule by rule: sagefence's FAILED findings, Custodian's matched resources
   and what the seed made non-compliant must be the same sets of resources.

Exit status: 0 when every run succeeded and findings agree; 1 on a findings mismatch; 2 when a
run failed; 3 when ``--check-targets`` is given and a target is missed.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import seed as seeding

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REGION = seeding.REGION
READY_TIMEOUT_S = 60
SPEEDUP_TARGET = 5.0
FLOOR_TARGET = 1.5
# The resource types Custodian's policies and the floor cover: (a1) sweeps only these.
SCOPED_TYPES = "notebooks,training-jobs,models"

# Runs the command given after the result file, then writes its wall time (s) and the peak
# RSS (KiB) of its process to that file: the wrapper's only child, so RUSAGE_CHILDREN is its.
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as out:
    out.write(f"{wall} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
sys.exit(code)
"""


@dataclass
class Run:
    """One measured process."""

    label: str
    wall_s: float = 0.0
    rss_kib: int = 0
    calls: dict = field(default_factory=dict)
    exit_code: int = 0
    findings: dict = field(default_factory=dict)

    @property
    def total_calls(self):
        return sum(self.calls.values())


class Emulator:
    """The emulator process, its URL and its request counter."""

    def __init__(self, python, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 (open while the emulator runs)
        self.process = subprocess.Popen(
            [python, str(ROOT / "tests/emulator/sagefence_moto.py"), "--port", "0"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.url = f"http://127.0.0.1:{self.wait_ready()}"

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"emulator exited ({self.process.returncode}); see {self.log_path}"
                )
            for line in self.log_path.read_text().splitlines():
                if line.startswith("ready "):
                    return int(line.split()[1])
            time.sleep(0.1)
        raise SystemExit(f"emulator not ready after {READY_TIMEOUT_S} s; see {self.log_path}")

    def control(self, route, method="GET"):
        data = b"{}" if method == "POST" else None
        request = urllib.request.Request(f"{self.url}/_sagefence/{route}", data=data, method=method)
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)

    def reset_requests(self):
        self.control("requests/reset", "POST")

    def requests(self):
        return self.control("requests")["by_action"]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


def aws_env(url):
    """The environment every run gets: the emulator as the endpoint of every service, static
    credentials, the region, and no instance-metadata look-ups."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") or key == "AWS_CA_BUNDLE"
    }
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def measure(emulator, run, argv, env, stdout_path, workdir):
    """Runs ``argv`` once under the wrapper; fills ``run`` with time, RSS and calls."""
    result_path = workdir / f"{stdout_path.stem}.measure"
    emulator.reset_requests()
    with open(stdout_path, "w") as out, open(stdout_path.with_suffix(".stderr"), "w") as err:
        code = subprocess.call(
            [sys.executable, "-c", MEASURE, str(result_path), *map(str, argv)],
            stdout=out,
            stderr=err,
            env=env,
            cwd=workdir,
        )
    run.calls = emulator.requests()
    run.exit_code = code
    wall, rss = result_path.read_text().split()
    run.wall_s, run.rss_kib = float(wall), int(rss)
    return run


def resource_name(resource):
    """A SageMaker resource's name from its ARN (``...:notebook-instance/NAME``) or name."""
    return resource.rsplit("/", 1)[-1]


def sagefence_findings(path):
    """Per rule, the resources sagefence's JSON report has a FAILED finding for: the objects
    with ``rule``, ``resource`` (``{kind, name, arn}``, or a name or ARN) and ``status``,
    wherever they sit in the report (JSON lines too)."""
    text = path.read_text()
    try:
        documents = [json.loads(text)]
    except ValueError:
        documents = [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]
    found = {}

    def walk(value):
        if isinstance(value, dict):
            if {"rule", "resource", "status"} <= value.keys():
                resource = value["resource"]
                if isinstance(resource, dict):
                    resource = resource.get("name") or resource.get("arn") or ""
                if value["status"] == "FAILED":
                    found.setdefault(value["rule"], set()).add(resource_name(resource))
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for document in documents:
        walk(document)
    return found


def describe_sweep(label, path):
    """One line on the sweep as sagefence reports it: resources, calls it counted, errors."""
    try:
        report = json.loads(path.read_text())
    except ValueError:
        return
    if not isinstance(report, dict):
        return
    errors = report.get("errors") or []
    print(
        f"{label.split()[0]} reports {report.get('resources')} "
        f"resources, {report.get('api_calls')} API calls, {report.get('duration_ms')} ms, "
        f"{len(errors)} errors"
    )
    for error in errors[:5]:
        print(f"  error: {json.dumps(error)[:300]}")


def custodian_findings(output_dir, policies):
    """Per rule, the resources Custodian matched (``<policy>/resources.json`` of each policy
    named ``<kind>-<rule id>``)."""
    found = {}
    for policy, rule in policies.items():
        resources = json.loads((output_dir / policy / "resources.json").read_text())
        names = {
            resource.get("NotebookInstanceName")
            or resource.get("TrainingJobName")
            or resource.get("ModelName")
            for resource in resources
        }
        found.setdefault(rule, set()).update(names)
    return found


def policy_rules():
    """``policies.yml``'s policy names and the rule id each checks."""
    kinds = ("notebooks-", "training-jobs-", "models-")
    rules = {}
    for line in (HERE / "policies.yml").read_text().splitlines():
        name = line.strip().removeprefix("- name: ")
        if name != line.strip():
            kind = next(kind for kind in kinds if name.startswith(kind))
            rules[name] = name[len(kind) :]
    return rules


def compare(expected, runs, rules):
    """Prints, per shared rule, what the seed broke and what each tool found; the mismatches."""
    mismatches = []
    labels = [run.label.split()[0] for run in runs]
    print(
        f"\n{'rule':<34} {'seeded':>7} " + " ".join(f"{label:>7}" for label in labels) + "  agree"
    )
    for rule in sorted(set(rules.values())):
        seeded = expected.get(rule, set())
        found = [
            {name for name in run.findings.get(rule, set()) if name.startswith("bench-")}
            for run in runs
        ]
        agree = all(names == seeded for names in found)
        counts = " ".join(f"{len(names):>7}" for names in found)
        print(f"{rule:<34} {len(seeded):>7} {counts}  {'yes' if agree else 'NO'}")
        for run, names in zip(runs, found, strict=True):
            if names != seeded:
                missed, extra = sorted(seeded - names), sorted(names - seeded)
                mismatches.append(
                    f"{rule}: {run.label} missed {missed[:5]} (of {len(missed)}), "
                    f"extra {extra[:5]} (of {len(extra)})"
                )
    return mismatches


def mib(kib):
    return kib / 1024


def report(runs):
    """The table of runs and the per-action calls."""
    print(f"\n{'run':<44} {'wall s':>8} {'HTTP calls':>11} {'peak RSS MiB':>13} {'exit':>5}")
    for run in runs:
        print(
            f"{run.label:<44} {run.wall_s:>8.2f} {run.total_calls:>11} "
            f"{mib(run.rss_kib):>13.1f} {run.exit_code:>5}"
        )
    actions = sorted({action for run in runs for action in run.calls})
    print(f"\n{'calls per action':<44} " + " ".join(f"{run.label.split()[0]:>7}" for run in runs))
    for action in actions:
        print(f"{action:<44} " + " ".join(f"{run.calls.get(action, 0):>7}" for run in runs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sagefence", required=True, help="the sagefence CLI binary")
    parser.add_argument("--floor", required=True, help="the sweep_floor example binary")
    parser.add_argument("--custodian", required=True, help="the custodian script of .venv-c7n")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="calls in flight at once, for (a) and (c) (the CLI's default: 16)",
    )
    parser.add_argument("--notebooks", type=int, default=1000)
    parser.add_argument("--training-jobs", type=int, default=500)
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--workdir", type=Path, default=ROOT / "target/bench-sweep")
    parser.add_argument(
        "--sweep-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="one more argument for (a), e.g. --sweep-arg=--max-rps=200 (repeatable)",
    )
    parser.add_argument(
        "--check-targets", action="store_true", help="exit 3 when a target is missed"
    )
    args = parser.parse_args()
    for tool in ("sagefence", "floor", "custodian"):
        setattr(args, tool, Path(getattr(args, tool)).resolve())
    args.workdir = args.workdir.resolve()

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    emulator = Emulator(sys.executable, args.workdir / "emulator.log")
    try:
        started = time.perf_counter()
        expected = seeding.seed(emulator.url, args.notebooks, args.training_jobs, args.models)
        print(
            f"emulator {emulator.url}; seeded {args.notebooks} notebooks, {args.training_jobs} "
            f"training jobs, {args.models} models in {time.perf_counter() - started:.1f} s "
            "(not timed)"
        )
        env = aws_env(emulator.url)
        rules = policy_rules()
        work = args.workdir

        floor = measure(
            emulator,
            Run(f"(c) floor, concurrency {args.concurrency}"),
            [args.floor, "--concurrency", args.concurrency],
            env,
            work / "floor.json",
            work,
        )

        def sagefence(label, stem, *extra):
            argv = [
                args.sagefence,
                "sweep",
                "--dry-run",
                "--region",
                REGION,
                "--format",
                "json",
                "--concurrency",
                args.concurrency,
                *extra,
                *args.sweep_arg,
            ]
            print(f"{label.split()[0]} runs " + " ".join(map(str, argv[1:])))
            run = measure(emulator, Run(label), argv, env, work / f"{stem}.json", work)
            if run.exit_code in (0, 1):
                run.findings = sagefence_findings(work / f"{stem}.json")
                describe_sweep(run.label, work / f"{stem}.json")
            return run

        sweep = sagefence("(a) sagefence sweep --dry-run", "sagefence")
        scoped = sagefence(
            f"(a1) sagefence, --types {SCOPED_TYPES}", "sagefence-scoped", "--types", SCOPED_TYPES
        )

        def custodian_run(label, stem, *cache):
            run = measure(
                emulator,
                Run(label),
                [
                    args.custodian,
                    "run",
                    "--dryrun",
                    *cache,
                    "--region",
                    REGION,
                    "-s",
                    work / stem,
                    HERE / "policies.yml",
                ],
                env,
                work / f"{stem}.out",
                work,
            )
            if run.exit_code == 0:
                run.findings = custodian_findings(work / stem, rules)
            return run

        custodian = custodian_run(
            "(b) custodian run --dryrun --cache-period 0", "custodian", "--cache-period", "0"
        )
        cached = custodian_run(
            "(b1) custodian, fresh cache file per run",
            "custodian-cached",
            "--cache",
            work / "custodian-cached/c7n.cache",
            "--cache-period",
            "60",
        )
    finally:
        emulator.stop()

    runs = [sweep, scoped, custodian, cached, floor]
    report(runs)
    failed = [
        run
        for run in runs
        if run.exit_code not in (0, 1) or (run in (custodian, cached, floor) and run.exit_code)
    ]
    for run in failed:
        print(f"\n{run.label} failed (exit {run.exit_code}); its output is in {args.workdir}")
    if failed:
        return 2

    speedup = custodian.wall_s / sweep.wall_s
    speedup_cached = cached.wall_s / sweep.wall_s
    over_floor = sweep.wall_s / floor.wall_s
    targets = [
        (
            f"a/b  = {sweep.wall_s / custodian.wall_s:.3f}: sagefence {speedup:.1f}x faster "
            "than Custodian "
            f"(target >= {SPEEDUP_TARGET:g}x)",
            speedup >= SPEEDUP_TARGET,
        ),
        (
            f"calls a = {sweep.total_calls}, b = {custodian.total_calls} (target a <= b)",
            sweep.total_calls <= custodian.total_calls,
        ),
        (
            f"a/c  = {over_floor:.2f}: sagefence within {over_floor:.2f}x of the floor "
            f"(target <= {FLOOR_TARGET:g}x)",
            over_floor <= FLOOR_TARGET,
        ),
    ]
    print()
    for line, met in targets:
        print(f"{'met   ' if met else 'MISSED'} {line}")
    print(
        f"       a/b1 = {sweep.wall_s / cached.wall_s:.3f}: {speedup_cached:.1f}x faster "
        "than Custodian "
        f"fetching each resource type once; calls b1 = {cached.total_calls}"
    )
    print(
        "       same resource types as Custodian and the floor (a1): "
        f"a1/b = {scoped.wall_s / custodian.wall_s:.3f}, "
        f"a1/b1 = {scoped.wall_s / cached.wall_s:.3f}, a1/c = {scoped.wall_s / floor.wall_s:.2f}; "
        f"calls a1 = {scoped.total_calls}, b1 = {cached.total_calls}, c = {floor.total_calls}"
    )

    mismatches = compare(expected, [sweep, scoped, custodian, cached], rules)
    if mismatches:
        print("\nfindings disagree:")
        for line in mismatches:
            print(f"  {line}")
        return 1
    print(
        "\nfindings agree: sagefence, Custodian and the seed name the same resources "
        "for every shared rule"
    )
    if args.check_targets and not all(met for _, met in targets):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
