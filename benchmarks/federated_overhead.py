"""Flower's per-round overhead on loopback, on the README's digits run (10 clients,
Dirichlet(0.5), FedAvg), variants interleaved in one session: ClientApps started afresh
per message (Flower's default, ``--isolation subprocess``) or forked from a warm SuperExec
(:mod:`abinitio.federated._superexec`); Flower's object-pull backoff (1 s doubling to
10 s) or abinitio's shorter one (:mod:`abinitio.federated._waits`); tighter polls; the
model as one Flower Array per tensor (``--wire arrays``) instead of packed; and the same
run under SecAgg+ (``--secure-aggregation``).

Per run: wall seconds per round (median), and the overhead per round, the round's wall
time less its slowest client's local training (Flower's transport, serialisation,
process starts, the server's evaluation), with its share of the round.

Each run is a child process put in its own cpuacct cgroup (Linux, cgroup v1, root), so its
CPU time counts every Flower process it starts, however they are re-parented; elsewhere
it falls back to ``getrusage`` of reaped children. A run of R rounds and a run of 1 round
give the marginal CPU of a round, (CPU(R) - CPU(1)) / (R - 1), free of the start-up cost.

    nice -n 10 python benchmarks/federated_overhead.py [--rounds 3] [--repeats 1]
        [--variants fork,flower-backoff,subprocess,secure,...] [--marginal]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

CGROUP = "/sys/fs/cgroup/cpuacct"
ONE = """
import sys
import abinitio.federated as federated
from abinitio.cli import main

mode, out, rounds, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
base = federated.LoopbackFederation

class Federation(base):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "fork_clientapps": mode == "fork"})

federated.LoopbackFederation = Federation
sys.exit(main(["federated", "--dataset", "digits", "--model", "mlp", "--clients", "10",
               "--rounds", rounds, "--partition", "dirichlet:0.5", "--no-baseline",
               "--out", out, *extra]))
"""

# name -> (ClientApp process model, environment, extra arguments)
VARIANTS = {
    # today's default: forked ClientApps, pull backoff 0.05-0.5 s, idle polls 0.02-1 s,
    # the model packed into one array per dtype
    "fork": ("fork", {}, []),
    "arrays-wire": ("fork", {}, ["--wire", "arrays"]),  # one Flower Array per tensor
    "constant-poll": ("fork", {"ABINITIO_FLWR_IDLE_MAX": "0.25"}, []),
    "flower-backoff": ("fork", {"ABINITIO_FLWR_PULL_BACKOFF": "1,10",
                                "ABINITIO_FLWR_IDLE_MAX": "0.25"}, []),  # fmt: skip
    "backoff-0.005": ("fork", {"ABINITIO_FLWR_PULL_BACKOFF": "0.005,0.1"}, []),
    "poll-0.1": ("fork", {"ABINITIO_FLWR_POLL": "0.1", "FLWR_SUPEREXEC_TASK_POLL_INTERVAL": "0.1",
                          "ABINITIO_FLWR_SERVER_POLL": "0.02"}, []),  # fmt: skip
    "poll-0.5": ("fork", {"ABINITIO_FLWR_POLL": "0.5", "FLWR_SUPEREXEC_TASK_POLL_INTERVAL": "0.5",
                          "ABINITIO_FLWR_SERVER_POLL": "0.1"}, []),  # fmt: skip
    "subprocess": ("subprocess", {}, []),
    "secure": ("fork", {}, ["--secure-aggregation"]),
}


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def one_run(variant: str, rounds: int, out: str) -> dict:
    mode, own, extra = VARIANTS[variant]
    env = {**os.environ, "FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **own}  # fmt: skip
    group = os.path.join(CGROUP, f"abinitio-fed-{os.getpid()}-{variant}-{rounds}")
    use_group = os.access(CGROUP, os.W_OK)
    if use_group:
        os.makedirs(group, exist_ok=True)
    started = time.perf_counter()

    def join():  # in the child, before exec: it and all its descendants are counted
        if use_group:
            Path(group, "cgroup.procs").write_text(str(os.getpid()))

    child = subprocess.run([sys.executable, "-c", ONE, mode, out, str(rounds), *extra], env=env,
                           preexec_fn=join, capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(child.stderr[-3000:])
    if use_group:
        cpu = int(Path(group, "cpuacct.usage").read_text()) / 1e9
        try:
            os.rmdir(group)
        except OSError:
            pass
    else:
        import resource

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime
    state = json.loads(Path(out, "rounds.json").read_text("utf-8"))
    seconds = [r["seconds"] for r in state["rounds"]]
    local = [max(c.get("train-seconds", 0.0) for c in r["clients"].values())
             for r in state["rounds"]]  # fmt: skip
    return {"mode": variant, "rounds": rounds, "wall": wall, "cpu": cpu, "round_seconds": seconds,
            "local_seconds": local, "accuracy": state["rounds"][-1]["accuracy"],
            "cpu_counter": "cgroup" if use_group else "rusage"}  # fmt: skip


def _median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--variants", default="fork,flower-backoff",
                        help=f"comma-separated, of: {', '.join(VARIANTS)}")  # fmt: skip
    parser.add_argument("--marginal", action="store_true",
                        help="also a 1-round run per variant: the CPU of an extra round")
    parser.add_argument("--out", default="runs/federated-overhead")
    args = parser.parse_args()
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    counts = (args.rounds, 1) if args.marginal else (args.rounds,)
    results = []
    for repeat in range(args.repeats):
        for rounds in counts:
            for variant in variants:
                out = os.path.join(args.out, f"{variant}-{rounds}-{repeat}")
                before = os.getloadavg()
                result = one_run(variant, rounds, out)
                result["load"] = [before, os.getloadavg()]
                results.append(result)
                print(json.dumps(result), flush=True)
    os.makedirs(args.out, exist_ok=True)
    Path(args.out, "results.json").write_text(json.dumps(results, indent=1), "utf-8")
    print(f"\n{_cpu_name()}, {os.cpu_count()} cores; {args.rounds} rounds; round 1 left out of "
          f"the medians (it includes the first ClientApp imports)")  # fmt: skip
    for variant in variants:
        many = [r for r in results if r["mode"] == variant and r["rounds"] == args.rounds]
        later = [(s, t) for r in many for s, t in list(zip(r["round_seconds"],
                                                            r["local_seconds"]))[1:]]  # fmt: skip
        wall = _median(s for s, _ in later)
        overhead = _median(s - t for s, t in later)
        line = (f"{variant:>15}: wall s/round {wall:.2f}, overhead s/round {overhead:.2f} "
                f"({overhead / wall:.0%} of the round), CPU-s per round (whole run) "
                f"{_median(r['cpu'] for r in many) / args.rounds:.2f}, load "
                f"{many[0]['load'][0][0]:.1f}-{many[0]['load'][1][0]:.1f}")  # fmt: skip
        if args.marginal:
            one = [r for r in results if r["mode"] == variant and r["rounds"] == 1]
            extra = (_median(r["cpu"] for r in many) - _median(r["cpu"] for r in one))
            line += f", CPU-s per extra round {extra / (args.rounds - 1):.2f}"
        print(line)


if __name__ == "__main__":
    main()
