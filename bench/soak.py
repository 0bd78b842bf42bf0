"""Soak test of `amur serve`: many feeds on a short schedule, answered 304 nearly every time.

A loopback fixture server (its own process) serves `--feeds` RSS feeds with ETag and
Last-Modified, each listing three articles; the first run of each feed fetches its articles,
every later one is a conditional request answered 304, as most of a real service's checks are.
`amur serve` runs every feed `--every` for `--minutes`; half-way through its crawl worker is
killed with SIGKILL, and the service must replace it and carry on. At the end it gets SIGTERM.

Printed: revalidations done against due (due = feeds x minutes / interval), how many were
answered unchanged, CPU seconds of the whole process tree per revalidation, and the tree's
resident memory over time (growth after warm-up). The baseline, measured in the same run, is
what one revalidation cost before the crawl worker: a fresh `amur crawl SOURCE` per check.

    python bench/soak.py [--feeds 30] [--every 3s] [--minutes 20] [--recycle-runs 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.config import parse_interval  # noqa: E402
from tests.amur_cli import free_port  # noqa: E402
from tests.fixture_server import FixtureServer  # noqa: E402
from tests.processes import descendants  # noqa: E402

AMUR = [sys.executable, "-m", "scheduler.cli"]
WORDS = (
    "China Russia Beijing Moscow trade pipeline energy sanctions border Siberia yuan rouble "
    "summit Kremlin partnership exports imports grain coal oil gas railway bridge port"
).split()
TICK = os.sysconf("SC_CLK_TCK")


def article(n: int) -> str:
    body = "".join(
        f"<p>{' '.join(WORDS[(n * 7 + i * 3 + j) % len(WORDS)] for j in range(40))}.</p>"
        for i in range(8)
    )
    return (
        f"<!doctype html><html lang='en'><head><title>Soak article {n}</title></head>"
        f"<body><article><h1>Soak article {n}</h1>{body}</article></body></html>"
    )


def write_site(root: Path, feeds: int) -> None:
    site = root / "soak"
    site.mkdir(parents=True)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    for feed in range(feeds):
        items = []
        for k in range(3):
            n = feed * 3 + k
            (site / f"a{n}.html").write_text(article(n), encoding="utf-8")
            items.append(
                f"<item><title>Soak article {n}</title><link>{{{{BASE}}}}/soak/a{n}.html</link>"
                f"<guid>soak-{n}</guid></item>"
            )
        (site / f"feed{feed}.xml").write_text(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>soak</title>'
            f"{''.join(items)}</channel></rss>",
            encoding="utf-8",
        )


def serve(root: Path, ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    with FixtureServer(root) as server:
        ports.put(server.base)
        while True:
            time.sleep(3600)


def make_config(folder: Path, base: str, feeds: int, every: str, recycle_runs: int) -> Path:
    config = {
        "database": "sqlite:///amur.db",
        "network": {"allow_private_addresses": True, "download_delay": 0, "timeout": 10},
        "service": {"worker_max_runs": recycle_runs},
        "web": {"port": free_port()},  # the review page runs, idle, as in real use
        "sources": [
            {"name": f"feed{n}", "kind": "feed", "url": f"{base}/soak/feed{n}.xml", "every": every}
            for n in range(feeds)
        ],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children that it has reaped."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / TICK  # utime stime cutime cstime


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(pid: int) -> tuple[float, int]:
    """CPU seconds and resident KiB of `pid` and everything below it."""
    pids = [pid, *descendants(pid)]
    return sum(cpu_seconds(p) for p in pids), sum(rss_kb(p) for p in pids)


def runs(folder: Path) -> tuple[int, int, int]:
    """Source runs finished, of which unchanged (304 or same body), and interrupted."""
    engine = create_engine(f"sqlite:///{folder / 'amur.db'}")
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT count(*), coalesce(sum(unchanged), 0), "
                    "coalesce(sum(status = 'interrupted'), 0) "
                    "FROM source_runs WHERE status != 'running'"
                )
            ).one()
    finally:
        engine.dispose()
    return int(row[0]), int(row[1]), int(row[2])


def baseline(config: Path, source: str, times: int) -> float:
    """CPU seconds of one `amur crawl SOURCE` revalidation, the old service's way (mean)."""
    total = 0.0
    for _ in range(times):
        child = subprocess.Popen([*AMUR, "--config", str(config), "crawl", source],
                                 cwd=REPO, stdout=subprocess.DEVNULL)  # fmt: skip
        _, _, usage = os.wait4(child.pid, 0)
        total += usage.ru_utime + usage.ru_stime
    return total / times


def soak(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_site(folder / "site", args.feeds)
        ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        server = multiprocessing.Process(target=serve, args=(folder / "site", ports), daemon=True)
        server.start()
        try:
            base = ports.get(timeout=10)
            config = make_config(folder, base, args.feeds, args.every, args.recycle_runs)
            subprocess.run([*AMUR, "--config", str(config), "init"], check=True, cwd=REPO,
                           capture_output=True)  # fmt: skip
            log = (folder / "serve.log").open("wb")
            service = subprocess.Popen([*AMUR, "--config", str(config), "serve"],
                                       cwd=REPO, stderr=log)  # fmt: skip
            report(args, folder, config, service)
        finally:
            server.terminate()


def report(
    args: argparse.Namespace, folder: Path, config: Path, service: subprocess.Popen[bytes]
) -> None:
    seconds = args.minutes * 60
    warmup = min(120.0, seconds / 5)
    interval = parse_interval(args.every)
    started = time.monotonic()
    samples: list[tuple[float, float, int, int]] = []  # elapsed, cpu, rss, runs
    killed = False
    try:
        while (elapsed := time.monotonic() - started) < seconds:
            cpu, rss = tree(service.pid)
            done = runs(folder)[0]
            samples.append((elapsed, cpu, rss, done))
            print(f"{elapsed:7.0f}s  runs {done:6}  cpu {cpu:8.1f}s  rss {rss / 1024:7.1f} MiB",
                  flush=True)  # fmt: skip
            if not killed and elapsed >= seconds / 2:
                log = (folder / "serve.log").read_text(errors="replace")
                workers = re.findall(r"crawl worker (\d+) started", log)
                if workers:
                    os.kill(int(workers[-1]), signal.SIGKILL)
                    killed = True
                    print(f"         SIGKILL to crawl worker {workers[-1]}", flush=True)
            time.sleep(args.sample)
    finally:
        stop = time.monotonic()
        cpu_end, _ = tree(service.pid)
        service.send_signal(signal.SIGTERM)
        code = service.wait(timeout=60)
        stopped = time.monotonic() - stop
    done, unchanged, interrupted = runs(folder)
    log = (folder / "serve.log").read_text(errors="replace")
    workers = len(re.findall(r"crawl worker \d+ started", log))
    recycled = log.count("recycling crawl worker")
    warm = [s for s in samples if s[0] >= warmup]
    first, last = warm[0], warm[-1]
    steady_runs = last[3] - first[3]
    steady_cpu = last[1] - first[1]
    per_check = steady_cpu / max(1, steady_runs)
    due = args.feeds * (last[0] - first[0]) / interval
    old = baseline(config, "feed0", args.baseline)
    rss_marks = [s[2] / 1024 for s in warm[:: max(1, len(warm) // 5)]] + [last[2] / 1024]
    print()
    print(f"feeds {args.feeds}, every {args.every}, {args.minutes} min; measured after a "
          f"{warmup:.0f} s warm-up, on {len(os.sched_getaffinity(0))} cores")  # fmt: skip
    print(f"{'revalidations due':38} {due:10.0f}")
    print(f"{'revalidations done':38} {steady_runs:10}   ({steady_runs / max(1, due):.1%} of due)")
    share = unchanged / max(1, done)
    print(f"{'answered unchanged (whole soak)':38} {unchanged:10}   ({share:.1%})")
    print(f"{'interrupted runs (the SIGKILL)':38} {interrupted:10}")
    print(f"{'CPU s per revalidation, service':38} {per_check:10.4f}")
    print(f"{'CPU s per revalidation, amur crawl':38} {old:10.4f}   (baseline, same run)")
    print(f"{'ratio (baseline / service)':38} {old / max(per_check, 1e-9):10.1f}")
    print(f"{'CPU load of the service':38} {steady_cpu / (last[0] - first[0]):10.2f}   cores")
    print(f"{'RSS MiB of the tree after warm-up':38} " + " ".join(f"{m:.0f}" for m in rss_marks))
    print(f"{'RSS growth after warm-up':38} {(last[2] - first[2]) / first[2]:10.1%}")
    print(f"{'crawl workers started (recycled)':38} {workers:10}   ({recycled})")
    print(f"{'worker SIGKILL survived':38} {'yes' if killed and samples[-1][3] > 0 else 'no':>10}")
    print(f"{'SIGTERM: exit code, seconds':38} {code:10}   {stopped:.1f}")
    print(f"{'CPU s of the tree at SIGTERM':38} {cpu_end:10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=30)
    parser.add_argument("--every", default="3s")
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--recycle-runs", type=int, default=1000)
    parser.add_argument("--sample", type=float, default=10, help="seconds between samples")
    parser.add_argument("--baseline", type=int, default=5, help="`amur crawl` runs to average")
    soak(parser.parse_args())


if __name__ == "__main__":
    main()
