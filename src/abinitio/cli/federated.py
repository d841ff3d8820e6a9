"""``abinitio federated``: train a model across clients that never share their data, on
Flower's deployment engine, on this machine::

    abinitio federated --dataset digits --model mlp --clients 10 --rounds 20
                       --partition dirichlet:0.5 --strategy fedavg

starts a SuperLink and ``--clients`` SuperNodes on 127.0.0.1 (free ports), runs the
ServerApp and ClientApps below through them, and stops every process at the end, on error
and on Ctrl-C. The run directory (``--out``) then holds ``config.toml`` and
``model.safetensors`` (so ``abinitio evaluate RUN_DIR`` works on the global model),
``rounds.json`` (per round: test accuracy and loss, each client's metrics, rejected
updates, seconds), ``global.safetensors`` (the checkpoint ``--resume RUN_DIR`` continues
from), ``report.html`` and the Flower processes' logs under ``flower/``.

The Flower components ``flwr run`` loads are ``client_app`` and ``server_app`` in
:mod:`abinitio.cli.federated_app`; the same two serve the many-machine recipe in the README.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from abinitio.cli.options import UsageError

FAULTS = ("raise", "hang", "nan")
OPTIONS_NAME = "federated.json"


def add_parser(commands) -> None:
    fed = commands.add_parser("federated", help="federated learning on Flower: clients that "
                              "never share their data")  # fmt: skip
    fed.add_argument("--dataset", default="digits", help="digits (default), mnist1d, moons, ...")
    fed.add_argument("--model", default="mlp", help="mlp (default), cnn, ...")
    fed.add_argument("--clients", type=int, default=10, help="SuperNodes, one partition each")
    fed.add_argument("--rounds", type=int, default=20)
    fed.add_argument("--partition", default="iid", help="iid, shards:K or dirichlet:ALPHA")
    fed.add_argument("--strategy", default="fedavg", help="fedavg, fedprox, fedadam, fedyogi, "
                     "fedadagrad, fedavgm, fedtrimmedavg, fedmedian, krum")  # fmt: skip
    fed.add_argument("--strategy-option", action="append", default=[], metavar="NAME=VALUE",
                     help="an option of Flower's strategy, e.g. proximal_mu=0.01 or eta=0.1")
    fed.add_argument("--local-epochs", type=int, default=5)
    fed.add_argument("--batch-size", type=int, default=32, help="local batch (0: whole partition)")
    fed.add_argument("--lr", type=float, default=0.2, help="local SGD learning rate")
    fed.add_argument("--momentum", type=float, default=0.0, help="local SGD momentum")
    fed.add_argument("--fraction", type=float, default=1.0, help="clients sampled per round")
    fed.add_argument("--min-clients", type=int, help="clients a round needs (default: all)")
    fed.add_argument("--round-timeout", type=float, default=120.0,
                     help="seconds a round waits for replies")  # fmt: skip
    fed.add_argument("--faults", default="", metavar="KIND,...",
                     help="make the last clients misbehave: raise, hang or nan, one per client")
    fed.add_argument("--dp-noise", type=float, default=0.0,
                     help="central DP: Gaussian noise multiplier (0: off)")  # fmt: skip
    fed.add_argument("--dp-clip", type=float, default=1.0, help="central DP: update clip norm")
    fed.add_argument("--secure-aggregation", action="store_true",
                     help="Flower's SecAgg+: the server sees only the mean (FedAvg only)")
    fed.add_argument("--secagg-shares", type=int, default=3,
                     help="SecAgg+: neighbours each client's secrets are shared among")
    fed.add_argument("--secagg-threshold", type=int, default=2,
                     help="SecAgg+: shares needed to rebuild a secret (< --secagg-shares)")
    fed.add_argument("--wire", choices=("packed", "arrays"), default="packed",
                     help="packed (default): the model as one flat array per dtype, its "
                     "names and shapes in the config; arrays: one Flower Array per tensor")
    fed.add_argument("--client-evaluate", action="store_true",
                     help="also a federated evaluation message each round (slower)")  # fmt: skip
    fed.add_argument("--baseline", action=__import__("argparse").BooleanOptionalAction,
                     default=True, help="train the same model centrally for the report's line")
    fed.add_argument("--seed", type=int, default=0)
    fed.add_argument("--out", help="run directory (default runs/federated-<dataset>-<time>)")
    fed.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    fed.add_argument("--write-app", action="store_true",
                     help="many machines: write the Flower app and each client's data file "
                     "to --out, print the commands, start nothing")  # fmt: skip


# ---- the task: what the Flower processes build from the run config -------------------
_DATA = {}


def _data(dataset: str):
    from abinitio.cli import registry

    if dataset not in _DATA:
        _DATA[dataset] = registry.load_dataset(dataset)
    return _DATA[dataset]


def _train_config(dataset: str, model: str, seed: int):
    from abinitio.cli.train import resolve_config

    return resolve_config({"dataset": dataset, "model": model, "seed": seed})


def _shape_of(cfg, data=None):
    """The data set's name, input shape and classes: from the run config in Flower's
    processes (no data set is loaded there), from the data set in the launcher."""
    from types import SimpleNamespace

    if data is not None:
        return data
    shape = tuple(int(n) for n in str(cfg["input-shape"]).split(","))
    return SimpleNamespace(name=str(cfg["dataset-name"]), input_shape=shape,
                           num_classes=int(cfg["num-classes"]))  # fmt: skip


def build_model(cfg, data=None):
    """The model ``abinitio train --dataset D --model M`` builds, seeded by ``seed``."""
    import abinitio as ab
    from abinitio.cli import registry

    dataset, seed = str(cfg["dataset"]), int(cfg.get("seed", 0))
    config = _train_config(dataset, str(cfg["model"]), seed)
    ab.manual_seed(seed)  # every side builds the same initial weights
    return registry.build_model(config, _shape_of(cfg, data))


def _read_npz(path: str):
    if not os.path.exists(path):
        raise FileNotFoundError(f"data file {path!r} does not exist")
    with np.load(path, allow_pickle=False) as arrays:
        return arrays["x"], arrays["y"]


def load_partition(cfg, node_config):
    """This node's data: the ``data-file`` (an .npz with ``x`` and ``y``) its node config
    names; the launcher writes one per client."""
    if "data-file" not in node_config:
        raise ValueError("this SuperNode has no data: start it with --node-config "
                         "\"data-file='/path/to/partition.npz'\"")  # fmt: skip
    return _read_npz(str(node_config["data-file"]))


def load_test(cfg):
    return _read_npz(str(cfg["test-file"]))


def write_npz(path: str, x, y) -> None:
    """x and y into an .npz, atomically (never pickled)."""
    from abinitio.serialization import write_atomically

    def write(temporary):
        with open(temporary, "wb") as file:
            np.savez(file, x=np.asarray(x), y=np.asarray(y))

    write_atomically(path, write)


# ---- the command -------------------------------------------------------------------------
def _options(args) -> dict:
    from abinitio.federated import STRATEGIES, parse_partition

    for name in ("clients", "rounds", "local_epochs"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be a positive integer, "
                             f"got {getattr(args, name)}")  # fmt: skip
    if args.batch_size < 0:
        raise UsageError(f"--batch-size must be >= 0 (0: whole partition), got {args.batch_size}")
    if not args.lr > 0:
        raise UsageError(f"--lr must be a positive number, got {args.lr}")
    if not 0 < args.fraction <= 1:
        raise UsageError(f"--fraction must be in (0, 1], got {args.fraction}")
    if not args.round_timeout > 0:
        raise UsageError(f"--round-timeout must be positive, got {args.round_timeout}")
    if args.dp_noise < 0 or not args.dp_clip > 0:
        raise UsageError(f"--dp-noise must be >= 0 and --dp-clip > 0, got {args.dp_noise}, "
                         f"{args.dp_clip}")  # fmt: skip
    try:
        parse_partition(args.partition)
    except ValueError as error:
        raise UsageError(f"--partition: {error}") from None
    if args.strategy not in STRATEGIES:
        raise UsageError(f"unknown --strategy {args.strategy!r}; choose one of: "
                         f"{', '.join(STRATEGIES)}")  # fmt: skip
    faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = [f for f in faults if f not in FAULTS]
    if unknown or len(faults) >= args.clients:
        raise UsageError(f"--faults takes fewer than --clients ({args.clients}) of "
                         f"{', '.join(FAULTS)}; got {args.faults!r}")  # fmt: skip
    secure = bool(getattr(args, "secure_aggregation", False))
    if secure:
        if args.strategy != "fedavg" or args.dp_noise > 0 or args.clients < 2:
            raise UsageError("--secure-aggregation runs Flower's SecAgg+ with FedAvg on at "
                             "least 2 clients, without --dp-noise (the server cannot clip "
                             "updates it never sees); got --strategy "
                             f"{args.strategy}, --dp-noise {args.dp_noise}, --clients "
                             f"{args.clients}")  # fmt: skip
        if not 2 <= args.secagg_threshold < args.secagg_shares:
            raise UsageError(f"SecAgg+ needs 2 <= --secagg-threshold < --secagg-shares, got "
                             f"{args.secagg_threshold} and {args.secagg_shares}")  # fmt: skip
    strategy_options = {}
    for item in args.strategy_option:
        key, sep, value = item.partition("=")
        try:
            strategy_options[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise UsageError(f"--strategy-option takes NAME=NUMBER, got {item!r}")
    min_clients = args.min_clients or args.clients - len(faults)
    if not 1 <= min_clients <= args.clients:
        raise UsageError(f"--min-clients must be in [1, {args.clients}], got {min_clients}")
    return {"dataset": args.dataset, "model": args.model, "seed": args.seed,
            "num-clients": args.clients, "num-server-rounds": args.rounds,
            "partition": args.partition, "strategy": args.strategy,
            "strategy-options": json.dumps(strategy_options), "lr": args.lr,
            "local-epochs": args.local_epochs, "batch-size": args.batch_size,
            "momentum": args.momentum, "fraction": args.fraction, "min-clients": min_clients,
            "round-timeout": args.round_timeout, "dp-noise": args.dp_noise,
            "dp-clip": args.dp_clip, "client-evaluate": bool(args.client_evaluate),
            "wire": args.wire,
            "faults": ",".join(faults), "baseline": bool(args.baseline),
            "secure-aggregation": secure, "secagg-num-shares": args.secagg_shares,
            "secagg-threshold": args.secagg_threshold}  # fmt: skip


def _check_task(options) -> list:
    """Everything that can be checked before any process starts: the data set, the model,
    the partition (fewer examples than clients, alpha <= 0), and the strategy's options."""
    from abinitio.federated import build_strategy, label_counts, partition

    try:
        data = _data(options["dataset"])
        build_model(options, data)
    except UsageError:
        raise
    except (ValueError, TypeError) as error:
        raise UsageError(
            f"--dataset {options['dataset']} --model {options['model']}: {error}"
        ) from None
    try:
        parts = partition(data.y_train, options["num-clients"], options["partition"],
                          options["seed"])  # fmt: skip
        build_strategy(options["strategy"], options["num-clients"],
                       min_clients=options["min-clients"], fraction=options["fraction"],
                       **json.loads(options["strategy-options"]))  # fmt: skip
    except ValueError as error:
        raise UsageError(str(error)) from None
    options.update({"dataset-name": data.name, "num-classes": int(data.num_classes),
                    "input-shape": ",".join(str(n) for n in data.input_shape),
                    # SecAgg+ weighs a client by n_i / max-weight <= 1: no overflow
                    "secagg-max-weight": float(len(data.y_train))})  # fmt: skip
    return parts, label_counts(data.y_train, parts, data.num_classes).tolist()


def run(args) -> int:
    from abinitio.cli.train import CONFIG_NAME
    from abinitio.federated.apps import ROUNDS_NAME, read_rounds

    if args.resume:
        out = args.resume
        path = os.path.join(out, OPTIONS_NAME)
        if not os.path.exists(path):
            raise UsageError(f"{out!r} is not a federated run directory: it has no {OPTIONS_NAME}")
        options = json.loads(Path(path).read_text("utf-8"))
        if read_rounds(out).get("finished"):
            raise UsageError(f"{out!r} has finished all its rounds; nothing to resume")
    else:
        options = _options(args)
        out = args.out or os.path.join(
            "runs", f"federated-{args.dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
        )
        if os.path.exists(os.path.join(out, ROUNDS_NAME)):
            raise UsageError(f"{out!r} already holds a run; choose another --out or --resume it")
    parts, counts = _check_task(options)
    os.makedirs(out, exist_ok=True)
    options["out"] = os.path.abspath(out)
    write_partitions(options, out, parts)
    if not args.resume:
        from abinitio.cli.options import to_toml
        from abinitio.federated.apps import write_json

        write_json(os.path.join(out, OPTIONS_NAME), options)
        config = _train_config(options["dataset"], options["model"], options["seed"])
        text = to_toml({**config.as_dict(), "out": out})
        Path(out, CONFIG_NAME).write_text(text, "utf-8")
    if getattr(args, "write_app", False):
        return _write_app_only(options, out)
    try:
        wall, cpu = run_federation(options, out)
    except KeyboardInterrupt:
        print(f"\nabinitio: interrupted; every Flower process is stopped. Continue with "
              f"abinitio federated --resume {out}")  # fmt: skip
        return 130
    except RuntimeError as error:
        raise UsageError(str(error)) from None
    state = read_rounds(out)
    if not state.get("finished"):
        raise UsageError(f"the federated run stopped before its last round; see the logs in "
                         f"{os.path.join(out, 'flower')}")  # fmt: skip
    baseline = centralised_baseline(options) if options.get("baseline") else None
    summary = summarise(state, wall, baseline)
    summary["flower_cpu_seconds"] = cpu
    summary["flower_cpu_seconds_per_round"] = cpu / max(1, summary["rounds"])
    from abinitio.federated.apps import write_json

    write_json(os.path.join(out, "summary.json"), {**summary, "label_counts": counts})
    report = write_federated_report(out, options, state, counts, summary)
    _print_summary(summary)
    print(f"\nwrote {os.path.join(out, 'model.safetensors')}, {os.path.join(out, ROUNDS_NAME)} "
          f"and {report}")  # fmt: skip
    return 0


def _app_config(options) -> dict:
    return {k: v for k, v in options.items() if k not in ("faults", "baseline")}


def _components(options) -> tuple[str, str]:
    """The ServerApp and ClientApp ``flwr run`` loads: the secure pair under SecAgg+."""
    prefix = "secure_" if options.get("secure-aggregation") else ""
    return (f"abinitio.cli.federated_app:{prefix}server_app",
            f"abinitio.cli.federated_app:{prefix}client_app")  # fmt: skip


def _write_app_only(options, out) -> int:
    from abinitio.federated import write_app

    app = write_app(os.path.join(out, "flower", "app"), *_components(options),
                    _app_config(options))  # fmt: skip
    data = os.path.dirname(options["test-file"])
    n = options["num-clients"]
    print(f"""wrote the Flower app {app} and the clients' data {data}/client-0..{n - 1}.npz
on the server host (TLS: a CA, and a certificate for HOST):
  flower-superlink --ssl-ca-certfile ca.crt --ssl-certfile server.pem --ssl-keyfile server.key \\
      --host 0.0.0.0 --port 9092 --disable-runtime-dependency-installation
on client host i (its own data file only), for i = 0..{n - 1}:
  flower-supernode --root-certificates ca.crt --superlink HOST:9092 \\
      --node-config "partition-id=i num-partitions={n} data-file='/data/client-i.npz'"
then, with [superlink.fleet] address = "HOST:9092", root-certificates = "ca.crt" in
$FLWR_HOME/config.toml (~/.flwr/config.toml):
  flwr run {app} fleet --stream""")
    return 0


def write_partitions(options, out, parts) -> None:
    """Each client's data into its own file (what a SuperNode on another machine would
    hold), and the server's test set: Flower's processes read these, not the data set."""
    data = _data(options["dataset"])
    folder = os.path.abspath(os.path.join(out, "flower", "data"))
    os.makedirs(folder, exist_ok=True)
    for i, index in enumerate(parts):
        write_npz(os.path.join(folder, f"client-{i}.npz"), data.x_train[index], data.y_train[index])
    options["test-file"] = os.path.join(folder, "test.npz")
    write_npz(options["test-file"], data.x_test, data.y_test)


def node_configs(options) -> list[dict]:
    faults = [f for f in options.get("faults", "").split(",") if f]
    count = options["num-clients"]
    folder = os.path.join(os.path.dirname(options["test-file"]))
    configs = [{"partition-id": i, "num-partitions": count,
                "data-file": os.path.join(folder, f"client-{i}.npz")}
               for i in range(count)]  # fmt: skip
    for config, fault in zip(configs[count - len(faults):], faults):
        config["fault"] = fault
    return configs


def run_federation(options, out) -> tuple[float, float]:
    """Start the loopback federation, run the app through it, stop it; the wall seconds
    and the CPU seconds its processes used."""
    from abinitio.federated import LoopbackFederation, write_app

    work = os.path.join(out, "flower")
    config = _app_config(options)
    app_dir = write_app(os.path.join(work, "app"), *_components(options), config)
    import resource

    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    timeout = options["num-server-rounds"] * (2 * options["round-timeout"] + 60) + 120
    with LoopbackFederation(node_configs(options), work,
                            preload=("abinitio.cli.federated_app",)) as federation:
        code = federation.run(app_dir, timeout=timeout)
    if code != 0:
        log = os.path.join(work, "flwr-run.log")
        raise RuntimeError(f"flwr run exited with code {code}; see {log}")
    # CPU seconds of every Flower process (the launcher waited for them, and each waited for
    # its own children): what the run costs whatever else shares the machine
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - started, cpu


def centralised_baseline(options) -> dict:
    """The same model, trained by the same local SGD on all the clients' data pooled,
    for as many epochs as a client trains in the whole run."""
    from abinitio.federated.apps import evaluate_arrays, local_train

    data = _data(options["dataset"])
    model = build_model(options, data)
    epochs = options["num-server-rounds"] * options["local-epochs"]
    fit = local_train(model, data.x_train, data.y_train, epochs=epochs, lr=options["lr"],
                      batch_size=options["batch-size"], momentum=options["momentum"],
                      seed=options["seed"])  # fmt: skip
    result = evaluate_arrays(model, data.x_test, data.y_test)
    return {"accuracy": result["accuracy"], "loss": result["loss"], "epochs": epochs,
            "seconds": fit["train-seconds"]}  # fmt: skip


def summarise(state, wall: float, baseline) -> dict:
    rounds = state["rounds"]
    seconds = [r["seconds"] for r in rounds]
    local = [max([c.get("train-seconds", 0.0) for c in r["clients"].values()] or [0.0])
             for r in rounds]  # fmt: skip
    overhead = [s - t for s, t in zip(seconds, local)]
    summary = {"rounds": len(rounds), "final_accuracy": rounds[-1]["accuracy"],
               "final_loss": rounds[-1]["loss"],
               "best_accuracy": max(r["accuracy"] for r in rounds),
               "wall_seconds": wall, "round_seconds_mean": float(np.mean(seconds)),
               "local_train_seconds_mean": float(np.mean(local)),
               "overhead_per_round_seconds": float(np.mean(overhead)),
               "outside_rounds_seconds": wall - float(np.sum(seconds)),
               "rejected": sum(len(r["rejected"]) for r in rounds)}  # fmt: skip
    if baseline:
        summary["baseline"] = baseline
    if "epsilon" in rounds[-1]:
        summary["epsilon"], summary["delta"] = rounds[-1]["epsilon"], rounds[-1]["delta"]
    return summary


def _print_summary(summary) -> None:
    print(f"\nglobal model after {summary['rounds']} rounds: test accuracy "
          f"{summary['final_accuracy']:.2%} (best {summary['best_accuracy']:.2%})")  # fmt: skip
    if "baseline" in summary:
        base = summary["baseline"]
        print(f"centralised, same model, {base['epochs']} epochs: {base['accuracy']:.2%}")
    print(f"wall time {summary['wall_seconds']:.1f} s; "
          f"per round {summary['round_seconds_mean']:.2f} s, "
          f"of which local training (slowest client) {summary['local_train_seconds_mean']:.2f} s, "
          f"the rest (Flower's transport, process starts, serialisation, evaluation) "
          f"{summary['overhead_per_round_seconds']:.2f} s")  # fmt: skip
    print(f"CPU time of all Flower processes: {summary['flower_cpu_seconds']:.1f} s, "
          f"{summary['flower_cpu_seconds_per_round']:.2f} s per round")  # fmt: skip
    if summary["rejected"]:
        print(f"{summary['rejected']} update(s) rejected (see rounds.json)")
    if "epsilon" in summary:
        print(f"differential privacy: epsilon {summary['epsilon']:.2f} "
              f"at delta {summary['delta']:g}")


def write_federated_report(out, options, state, counts, summary) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from abinitio.federated import plot_label_distribution
    from abinitio.viz import Section, write_report

    rounds = state["rounds"]
    numbers = [r["round"] for r in rounds]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    left.plot(numbers, [r["accuracy"] for r in rounds], marker=".", label="federated (global)")
    right.plot(numbers, [r["loss"] for r in rounds], marker=".", label="federated (global)")
    if "baseline" in summary:
        left.axhline(summary["baseline"]["accuracy"], color="k", ls="--", label="centralised")
        right.axhline(summary["baseline"]["loss"], color="k", ls="--", label="centralised")
    left.set(xlabel="round", ylabel="test accuracy")
    right.set(xlabel="round", ylabel="test loss")
    left.legend()
    figure.tight_layout()
    sections = [Section("Global model per round", figure=figure)]
    clients = plt.figure(figsize=(6, 3.2)).add_subplot()
    by_partition = {}
    for r in rounds:
        for metrics in r["clients"].values():
            pid = int(metrics.get("partition-id", -1))
            by_partition.setdefault(pid, []).append((r["round"] - 1, metrics["global-accuracy"]))
    for pid, points in sorted(by_partition.items()):
        clients.plot(*zip(*points), lw=1, label=str(pid))
    clients.set(xlabel="round (the global model it received)", ylabel="accuracy on its own data",
                title="per-client accuracy")  # fmt: skip
    clients.legend(title="client", fontsize=6, ncol=2, loc="lower right")
    sections.append(Section("Per-client accuracy", figure=clients.figure))
    title = f"{options['partition']}: labels per client"
    labels = plot_label_distribution(np.asarray(counts), title=title)
    labels.figure.tight_layout()
    sections.append(Section("Label distribution per client", figure=labels.figure))
    times = plt.figure(figsize=(6, 3)).add_subplot()
    local = [max([c.get("train-seconds", 0.0) for c in r["clients"].values()] or [0.0])
             for r in rounds]  # fmt: skip
    times.bar(numbers, [r["seconds"] for r in rounds], label="round")
    times.bar(numbers, local, label="slowest local training")
    times.set(xlabel="round", ylabel="seconds", title="round times")
    times.legend()
    sections.append(Section("Round times", figure=times.figure))
    rejected = [f"round {r['round']}: node {x['node']} (partition {x['partition']}): {x['reason']}"
                for r in rounds for x in r["rejected"]]  # fmt: skip
    if rejected:
        sections.append(Section("Rejected updates", text="\n".join(rejected)))
    table = {"dataset": options["dataset"], "model": options["model"],
             "clients": options["num-clients"], "partition": options["partition"],
             "strategy": options["strategy"], "rounds": summary["rounds"],
             "final test accuracy": f"{summary['final_accuracy']:.2%}",
             "wall time (s)": f"{summary['wall_seconds']:.1f}",
             "overhead per round (s)": f"{summary['overhead_per_round_seconds']:.2f}"}  # fmt: skip
    if "baseline" in summary:
        table["centralised accuracy"] = f"{summary['baseline']['accuracy']:.2%}"
    if "epsilon" in summary:
        table["DP epsilon (delta)"] = f"{summary['epsilon']:.2f} ({summary['delta']:g})"
    path = os.path.join(out, "report.html")
    write_report(path, title=f"Federated learning: {options['dataset']}, {options['strategy']}",
                 summary=table, history=[], extra_sections=sections)  # fmt: skip
    plt.close("all")
    return path
