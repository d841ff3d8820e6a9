"""The long federated runs of issue 17, each through ``abinitio federated`` (real Flower
processes on 127.0.0.1), on the digits with the MLP:

* ``dirichlet``: 10 clients, Dirichlet(0.5), FedAvg, 30 rounds, against centralised training
  of the same model on the same data (the run's own baseline);
* ``speed``: the README's command, 10 clients, Dirichlet(0.5), FedAvg, 20 rounds: wall time
  and the share outside local training;
* ``skew``: Dirichlet(0.1), FedAvg vs FedProx (mu 0.001, 0.01) vs FedAdam (eta 0.003,
  0.03; tau 1e-3), ``--skew-rounds`` (10) each;
* ``faults``: 3 of 10 clients fail every round (one raises, one hangs past the round
  timeout, one sends NaN), against the same run without faults.

    python scripts/federated_runs.py [--experiments dirichlet,speed,skew,faults]
                                     [--rounds 30] [--skew-rounds 10] [--fault-timeout 100]
                                     [--out runs/federated-results]

Writes ``results.json`` in ``--out`` (one entry per run: final and per-round accuracy, the
baseline, seconds) and prints a table. Run it with ``nice``: it starts 11 processes per run.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
os.environ.setdefault("FLWR_DISABLE_UPDATE_CHECK", "1")

from abinitio.cli import main  # noqa: E402

COMMON = ["--dataset", "digits", "--model", "mlp", "--clients", "10"]


def one_run(out_root: str, name: str, extra: list[str]) -> dict:
    out = os.path.join(out_root, name)
    started = time.perf_counter()
    code = main(["federated", *COMMON, *extra, "--out", out])
    if code != 0:
        return {"name": name, "args": extra, "exit_code": code}
    state = json.loads(Path(out, "rounds.json").read_text("utf-8"))
    summary = json.loads(Path(out, "summary.json").read_text("utf-8"))
    return {"name": name, "args": extra, "seconds": time.perf_counter() - started,
            "accuracy": [r["accuracy"] for r in state["rounds"]],
            "rejected_per_round": [len(r["rejected"]) for r in state["rounds"]],
            **{k: v for k, v in summary.items() if k != "label_counts"}}  # fmt: skip


SKEW_GRID = [("fedavg", "fedavg", []),
             ("fedprox-mu0.001", "fedprox", ["--strategy-option", "proximal_mu=0.001"]),
             ("fedprox-mu0.01", "fedprox", ["--strategy-option", "proximal_mu=0.01"]),
             ("fedadam-eta0.003", "fedadam", ["--strategy-option", "eta=0.003"]),
             ("fedadam-eta0.03", "fedadam", ["--strategy-option", "eta=0.03"])]  # fmt: skip


def experiments(rounds: int, skew_rounds: int = 10, fault_timeout: float = 100.0) -> dict:
    r, skew = str(rounds), str(skew_rounds)
    return {
        "dirichlet": [(f"fedavg-alpha0.5-{r}", ["--partition", "dirichlet:0.5", "--rounds", r])],
        # the README's command: also the speed measurement
        "speed": [("fedavg-alpha0.5-20", ["--partition", "dirichlet:0.5", "--rounds", "20"])],
        # Dirichlet(0.1): FedAvg against a small grid of FedProx's mu and FedAdam's eta
        "skew": [(f"{name}-alpha0.1-{skew}", ["--partition", "dirichlet:0.1", "--rounds", skew,
                                              "--strategy", strategy, *option,
                                              "--baseline" if strategy == "fedavg"
                                              else "--no-baseline"])
                 for name, strategy, option in SKEW_GRID],
        # the hanging client makes every round last the whole timeout (--fault-timeout);
        # fault-free rounds take 6-10 s on the 2 shared cores this was measured on
        "faults": [(f"faults-3-of-10-{r}", ["--partition", "dirichlet:0.5", "--rounds", r,
                                            "--faults", "raise,hang,nan",
                                            "--round-timeout", f"{fault_timeout:g}"])],
        "nofaults": [(f"fedavg-alpha0.5-{r}", ["--partition", "dirichlet:0.5", "--rounds", r])],
    }  # fmt: skip


def main_script() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", default="dirichlet,speed,skew,faults")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--skew-rounds", type=int, default=10, help="rounds of the skew grid")
    parser.add_argument("--fault-timeout", type=float, default=100.0,
                        help="round timeout of the faults run (the hung client waits it out)")
    parser.add_argument("--out", default="runs/federated-results")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "results.json")
    results = json.loads(Path(path).read_text("utf-8")) if os.path.exists(path) else {}
    table = experiments(args.rounds, args.skew_rounds, args.fault_timeout)
    for experiment in args.experiments.split(","):
        for name, extra in table[experiment]:
            results[name] = one_run(args.out, name, extra)
            Path(path).write_text(json.dumps(results, indent=1), "utf-8")
            print(json.dumps({k: v for k, v in results[name].items() if k != "accuracy"}))
    print(f"\n{'run':<20} {'rounds':>6} {'final':>7} {'best':>7} {'central':>8} "
          f"{'s/round':>8} {'overhead':>9} {'rejected':>8}")  # fmt: skip
    for name, r in results.items():
        if "final_accuracy" not in r:
            print(f"{name:<20} failed with exit code {r.get('exit_code')}")
            continue
        central = r.get("baseline", {}).get("accuracy")
        print(f"{name:<20} {r['rounds']:>6} {r['final_accuracy']:>7.2%} {r['best_accuracy']:>7.2%} "
              f"{(f'{central:.2%}' if central else '-'):>8} {r['round_seconds_mean']:>8.2f} "
              f"{r['overhead_per_round_seconds']:>9.2f} {r['rejected']:>8}")  # fmt: skip


if __name__ == "__main__":
    main_script()
