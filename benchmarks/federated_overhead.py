"""Flower's per-round overhead on loopback: ClientApps started afresh per message (Flower's
default, ``--isolation subprocess``) against ClientApps forked from a warm SuperExec
(:mod:`abinitio.federated._superexec`), on the README's digits run (10 clients,
Dirichlet(0.5), FedAvg), interleaved in one session.

Each run is a child process put in its own cpuacct cgroup (Linux, cgroup v1, root), so its
CPU time counts every Flower process it starts, however they are re-parented; elsewhere
it falls back to ``getrusage`` of reaped children. A run of R rounds and a run of 1 round
give the marginal CPU of a round, (CPU(R) - CPU(1)) / (R - 1), free of the start-up cost.

    nice -n 10 python benchmarks/federated_overhead.py [--rounds 3] [--repeats 1]
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

mode, out, rounds = sys.argv[1], sys.argv[2], sys.argv[3]
base = federated.LoopbackFederation

class Federation(base):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "fork_clientapps": mode == "fork"})

federated.LoopbackFederation = Federation
sys.exit(main(["federated", "--dataset", "digits", "--model", "mlp", "--clients", "10",
               "--rounds", rounds, "--partition", "dirichlet:0.5", "--no-baseline",
               "--out", out]))
"""


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def one_run(mode: str, rounds: int, out: str) -> dict:
    env = {**os.environ, "FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # fmt: skip
    group = os.path.join(CGROUP, f"abinitio-fed-{os.getpid()}-{mode}-{rounds}")
    use_group = os.access(CGROUP, os.W_OK)
    if use_group:
        os.makedirs(group, exist_ok=True)
    started = time.perf_counter()

    def join():  # in the child, before exec: it and all its descendants are counted
        if use_group:
            Path(group, "cgroup.procs").write_text(str(os.getpid()))

    child = subprocess.run([sys.executable, "-c", ONE, mode, out, str(rounds)], env=env,
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
    return {"mode": mode, "rounds": rounds, "wall": wall, "cpu": cpu, "round_seconds": seconds,
            "local_seconds": local, "accuracy": state["rounds"][-1]["accuracy"],
            "cpu_counter": "cgroup" if use_group else "rusage"}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", default="runs/federated-overhead")
    args = parser.parse_args()
    results = []
    for repeat in range(args.repeats):
        for rounds in (args.rounds, 1):
            for mode in ("subprocess", "fork"):
                out = os.path.join(args.out, f"{mode}-{rounds}-{repeat}")
                result = one_run(mode, rounds, out)
                result["load"] = os.getloadavg()
                results.append(result)
                print(json.dumps(result), flush=True)
    os.makedirs(args.out, exist_ok=True)
    Path(args.out, "results.json").write_text(json.dumps(results, indent=1), "utf-8")
    print(f"\n{_cpu_name()}, {os.cpu_count()} cores; {args.rounds} rounds vs 1 round")
    for mode in ("subprocess", "fork"):
        many = [r for r in results if r["mode"] == mode and r["rounds"] == args.rounds]
        one = [r for r in results if r["mode"] == mode and r["rounds"] == 1]
        cpu_many = sorted(r["cpu"] for r in many)[len(many) // 2]
        cpu_one = sorted(r["cpu"] for r in one)[len(one) // 2]
        rounds_s = sorted(s for r in many for s in r["round_seconds"])
        overhead = sorted(s - t for r in many for s, t in zip(r["round_seconds"],
                                                               r["local_seconds"]))  # fmt: skip
        print(f"{mode:>10}: wall s/round (median) {rounds_s[len(rounds_s) // 2]:.2f}, "
              f"overhead s/round {overhead[len(overhead) // 2]:.2f}, "
              f"CPU-s per extra round {(cpu_many - cpu_one) / (args.rounds - 1):.2f}, "
              f"CPU-s of the {args.rounds}-round run {cpu_many:.1f}, "
              f"load {many[0]['load'][0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
