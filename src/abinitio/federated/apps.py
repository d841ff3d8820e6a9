"""The Flower ClientApp and ServerApp for any abinitio model.

``make_client_app(build_model, load_partition)`` gives a ClientApp whose ``train`` loads the
global arrays into a fresh model (names and shapes checked), trains it locally with
abinitio's Trainer for the round's ``local-epochs`` at its ``lr`` and ``batch-size`` (plus
FedProx's proximal term when the strategy sends ``proximal-mu``), and replies with the new
arrays and its metrics; its ``evaluate`` scores the global model on the local data.

``make_server_app(build_model, load_test)`` gives a ServerApp that runs one of Flower's
strategies (``strategy`` in the run config), guarded so that failed, malformed and
non-finite updates are never averaged, evaluates the global model on the held-out test set
after every round, and checkpoints it atomically (``global.safetensors`` and
``rounds.json`` in ``out``), from which a later run resumes.

The two callables describe the task, and are called in Flower's processes with the run's
config (``context.run_config``):

* ``build_model(run_config) -> Module``, the same architecture on every side;
* ``load_partition(run_config, node_config) -> (x, y)``, a client's data (its node config,
  given by ``flower-supernode --node-config``, says which: a file, or a partition id);
* ``load_test(run_config) -> (x, y)``, the server's held-out set.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np

from abinitio.federated.parameters import (
    from_array_record,
    layout_of,
    load_arrays,
    model_arrays,
    to_array_record,
)

__all__ = ["ProximalLoss", "evaluate_arrays", "local_train", "make_client_app",
           "make_server_app", "RunBook", "train_round"]  # fmt: skip

GLOBAL_NAME, ROUNDS_NAME, MODEL_NAME = "global.safetensors", "rounds.json", "model.safetensors"


class ProximalLoss:
    """FedProx's local objective (Li et al., 2020): the task loss plus
    :math:`\\frac{\\mu}{2}\\lVert w - w^t\\rVert^2`, where :math:`w^t` are the global
    weights this round started from. Its gradient adds :math:`\\mu (w - w^t)`, pulling
    every client's weights back towards the global ones; ``mu = 0`` is FedAvg's loss.

    Example:
        >>> from abinitio import nn, tensor
        >>> model = nn.Linear(2, 2)
        >>> loss = ProximalLoss(nn.CrossEntropyLoss(), model, mu=0.1)
        >>> x = tensor(np.ones((1, 2), np.float32))
        >>> float(loss.proximal().item())
        0.0

    See the article docs/articles/learning/federated_learning.py.
    """

    def __init__(self, loss_fn, model, mu: float) -> None:
        from abinitio import tensor

        if mu < 0:
            raise ValueError(f"ProximalLoss: mu must be >= 0, got {mu}")
        self.loss_fn, self.mu = loss_fn, float(mu)
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.anchors = [tensor(np.array(p.array, copy=True)) for p in self.params]

    def proximal(self):
        total = None
        for p, anchor in zip(self.params, self.anchors):
            term = ((p - anchor) ** 2).sum()
            total = term if total is None else total + term
        return total * (self.mu / 2)

    def __call__(self, outputs, targets):
        loss = self.loss_fn(outputs, targets)
        return loss + self.proximal() if self.mu > 0 else loss


def _loader(x, y, batch_size: int, shuffle: bool):
    from abinitio.data import DataLoader, TensorDataset

    batch = len(x) if batch_size <= 0 else batch_size  # 0: the whole partition, one batch
    return DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=shuffle)


def local_train(model, x, y, epochs: int = 1, lr: float = 0.05, batch_size: int = 32,
                momentum: float = 0.0, proximal_mu: float = 0.0,
                seed: int = 0) -> dict:  # fmt: skip
    """Train ``model`` in place on (x, y) with SGD; return examples, loss, accuracy, seconds.

    ``batch_size=0`` takes the whole partition as one batch (one step per epoch: the
    setting in which FedAvg is exactly gradient descent on the pooled data).

    See the article docs/articles/learning/federated_learning.py.
    """
    import abinitio as ab
    from abinitio import nn, optim
    from abinitio.training import Trainer

    ab.manual_seed(seed)
    loss_fn = ProximalLoss(nn.CrossEntropyLoss(), model, proximal_mu)
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    trainer = Trainer(model, optimizer, loss_fn, progress=False, log=None)
    started = time.perf_counter()
    history = trainer.fit(_loader(x, y, batch_size, shuffle=True), epochs=epochs)
    last = history.epochs[-1] if history.epochs else {}
    return {"num-examples": len(x), "train-loss": float(last.get("train_loss", math.nan)),
            "train-accuracy": float(last.get("train_accuracy", math.nan)),
            "train-seconds": time.perf_counter() - started}  # fmt: skip


def evaluate_arrays(model, x, y) -> dict:
    """Loss and accuracy of ``model`` (already holding the arrays to judge) on (x, y)."""
    from abinitio import nn, optim
    from abinitio.training import Trainer

    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.0), nn.CrossEntropyLoss(),
                      progress=False, log=None)  # fmt: skip
    result = trainer.evaluate(_loader(x, y, 512, shuffle=False))
    return {"num-examples": len(x), "loss": float(result["loss"]),
            "accuracy": float(result["accuracy"])}  # fmt: skip


# ---- the ClientApp ---------------------------------------------------------------------
def train_round(
    model, x, y, received: dict, config, context, pid: int, include_buffers: bool = True
) -> tuple:
    """One client's part of a round, shared by the plain and the secure ClientApp: load
    the global arrays ``received`` into ``model`` (names and shapes checked), score them on
    the local data, train locally as ``config`` says (``local-epochs``, ``lr``,
    ``batch-size``, ``momentum``, ``proximal-mu``, ``server-round``, ``round-offset``),
    seeded by the run's seed, the round and the partition; return (arrays, metrics).

    The node config's ``fault=raise|hang|nan`` makes the client misbehave on purpose.
    """
    load_arrays(model, received, include_buffers)
    before = evaluate_arrays(model, x, y)  # how the global model does here, pre-training
    fault = str(context.node_config.get("fault", ""))
    if fault == "raise":
        raise RuntimeError(f"partition {pid}: this client fails on purpose (fault=raise)")
    if fault == "hang":
        time.sleep(3 * float(context.run_config.get("round-timeout", 120)))
    server_round = int(config.get("server-round", 1)) + int(config.get("round-offset", 0))
    metrics = local_train(
        model, x, y, epochs=int(config.get("local-epochs", 1)),
        lr=float(config.get("lr", 0.05)), batch_size=int(config.get("batch-size", 32)),
        momentum=float(config.get("momentum", 0.0)),
        proximal_mu=float(config.get("proximal-mu", 0.0)),
        seed=int(context.run_config.get("seed", 0)) * 100_003 + 1000 * server_round + pid,
    )  # fmt: skip
    arrays = model_arrays(model, include_buffers)
    if fault == "nan":
        first = next(iter(arrays))
        arrays[first] = np.full_like(arrays[first], np.nan)
    metrics.update({"partition-id": pid, "global-loss": before["loss"],
                    "global-accuracy": before["accuracy"]})  # fmt: skip
    return arrays, metrics


def make_client_app(build_model, load_partition, include_buffers: bool = True, mods=()):
    """A Flower ClientApp training ``build_model(run_config)`` on this node's partition.

    The node's ``--node-config`` names its partition (``partition-id``, ``num-partitions``);
    ``fault=raise|hang|nan`` makes it misbehave on purpose, to test the server's guards.

    See the article docs/articles/learning/federated_learning.py.
    """
    from flwr.app import ArrayRecord, Message, MetricRecord, RecordDict
    from flwr.clientapp import ClientApp

    app = ClientApp(mods=list(mods))
    cache = {}

    def partition(context):
        pid = int(context.node_config.get("partition-id", -1))
        if "data" not in cache:
            cache["data"] = load_partition(context.run_config, context.node_config)
        return pid, cache["data"]

    @app.train()
    def train(message: Message, context) -> Message:
        pid, (x, y) = partition(context)
        model = build_model(context.run_config)
        config = message.content["config"]
        layout = _layout(message)  # the arrays came packed: the reply goes packed too
        received = from_array_record(message.content["arrays"], layout)
        arrays, metrics = train_round(model, x, y, received, config, context, pid,
                                      include_buffers)  # fmt: skip
        content = RecordDict({"arrays": to_array_record(arrays, packed=layout is not None),
                              "metrics": MetricRecord(metrics)})  # fmt: skip
        return Message(content=content, reply_to=message)

    @app.evaluate()
    def evaluate(message: Message, context) -> Message:
        pid, (x, y) = partition(context)
        model = build_model(context.run_config)
        received = from_array_record(message.content["arrays"], _layout(message))
        load_arrays(model, received, include_buffers)
        metrics = {**evaluate_arrays(model, x, y), "partition-id": pid}
        return Message(content=RecordDict({"metrics": MetricRecord(metrics)}), reply_to=message)

    del ArrayRecord
    return app


def _layout(message) -> str | None:
    """The layout (:func:`~abinitio.federated.parameters.layout_of`) a message's config
    gives for its packed arrays, or None when they travel by name."""
    config = message.content.config_records.get("config")
    layout = None if config is None else config.get("layout")
    return None if layout is None else str(layout)


# ---- the ServerApp ---------------------------------------------------------------------
class _PromptGrid:
    """Flower's Grid, whose ``send_and_receive`` polls for replies every 0.05 s instead of
    every 3 s (push and pull are Flower's own calls; only the waiting between them is
    shorter), so that a round ends when its last reply arrives."""

    def __init__(self, grid, interval: float | None = None) -> None:
        from abinitio.federated._waits import shorten_pull_backoff

        shorten_pull_backoff()  # this process pulls the replies' arrays
        if interval is None:
            interval = float(os.environ.get("ABINITIO_FLWR_SERVER_POLL", "0.05"))
        self.grid, self.interval = grid, interval

    def __getattr__(self, name):
        return getattr(self.grid, name)

    def send_and_receive(self, messages, *, timeout=None):
        pending = set(self.grid.push_messages(messages))
        end = time.time() + (timeout if timeout is not None else math.inf)
        replies = []
        while pending and time.time() < end:
            arrived = list(self.grid.pull_messages(pending))
            replies.extend(arrived)
            pending.difference_update(m.metadata.reply_to_message_id for m in arrived)
            if pending:
                time.sleep(self.interval)
        return replies


def write_json(path: str, payload) -> None:
    """Atomically: a reader sees the old file or the new one."""
    from abinitio.serialization import write_atomically

    text = json.dumps(payload, indent=1)
    write_atomically(path, lambda temporary: Path(temporary).write_text(text, "utf-8"))


def read_rounds(out: str) -> dict:
    path = os.path.join(out, ROUNDS_NAME)
    if not os.path.exists(path):
        return {"rounds": []}
    return json.loads(Path(path).read_text("utf-8"))


class RunBook:
    """The server's side of a run, shared by the plain and the secure ServerApp: the global
    model (resumed from ``global.safetensors`` when ``rounds.json`` in ``out`` holds
    rounds), the held-out test set, and ``evaluate``, which scores each round's global
    arrays, checkpoints them atomically and appends the round to ``rounds.json``."""

    def __init__(self, build_model, load_test, cfg, include_buffers: bool = True,
                 log=print) -> None:  # fmt: skip
        from abinitio import load

        self.cfg, self.include_buffers, self.log = cfg, include_buffers, log
        self.out = str(cfg["out"])
        os.makedirs(self.out, exist_ok=True)
        self.model = build_model(cfg)
        self.x_test, self.y_test = load_test(cfg)
        self.state = read_rounds(self.out)
        self.done = len(self.state["rounds"])
        checkpoint = os.path.join(self.out, GLOBAL_NAME)
        if self.done and os.path.exists(checkpoint):
            saved = load(checkpoint)
            load_arrays(self.model, {k: v.array for k, v in saved.items()}, include_buffers)
            log(f"resuming after round {self.done} from {checkpoint}")
        else:
            self.state, self.done = {"rounds": []}, 0
        self.total = int(cfg["num-server-rounds"])
        self.started = time.perf_counter()

    def arrays(self) -> dict:
        return model_arrays(self.model, self.include_buffers)

    def train_config(self) -> dict:
        """What every client is told each round (Flower adds nothing of its own)."""
        cfg = self.cfg
        return {"lr": float(cfg.get("lr", 0.05)), "local-epochs": int(cfg.get("local-epochs", 1)),
                "batch-size": int(cfg.get("batch-size", 32)),
                "momentum": float(cfg.get("momentum", 0.0)), "round-offset": self.done}  # fmt: skip

    def evaluate(self, server_round: int, arrays: dict, seen: dict, **extra) -> dict:
        """Score ``arrays`` on the test set; for rounds after 0, checkpoint them and record
        the round (``seen``: the clients' metrics, rejected updates, how many averaged)."""
        from abinitio import save

        load_arrays(self.model, arrays, self.include_buffers)
        metrics = evaluate_arrays(self.model, self.x_test, self.y_test)
        now = time.perf_counter()
        if server_round == 0:
            if self.done == 0:
                self.state["initial"] = metrics
            self.started = now
            return metrics
        record = {"round": self.done + server_round, "loss": metrics["loss"],
                  "accuracy": metrics["accuracy"], "seconds": now - self.started,
                  "clients": seen.get("clients", {}), "rejected": seen.get("rejected", []),
                  "aggregated": seen.get("aggregated", 0), **extra}  # fmt: skip
        self.started = now
        save(self.model.state_dict(), os.path.join(self.out, GLOBAL_NAME))  # atomic
        self.state["rounds"].append(record)
        write_json(os.path.join(self.out, ROUNDS_NAME), self.state)
        self.log(f"round {record['round']}/{self.total}: test accuracy {metrics['accuracy']:.4f}, "
                 f"loss {metrics['loss']:.4f}, {record['aggregated']} update(s) averaged, "
                 f"{record['seconds']:.2f} s")  # fmt: skip
        return metrics

    def finish(self) -> None:
        from abinitio import save

        save(self.model.state_dict(), os.path.join(self.out, MODEL_NAME))
        self.state["finished"] = True
        write_json(os.path.join(self.out, ROUNDS_NAME), self.state)


def make_server_app(build_model, load_test, include_buffers: bool = True, log=print):
    """A Flower ServerApp running the strategy named in the run config on
    ``build_model(run_config)``; see the module docstring for what it writes.

    See the article docs/articles/learning/federated_learning.py.
    """
    from flwr.app import ConfigRecord, MetricRecord
    from flwr.serverapp import ServerApp

    from abinitio.federated.strategies import (
        build_strategy,
        gaussian_epsilon,
        guard,
        with_differential_privacy,
    )

    app = ServerApp()

    @app.main()
    def main(grid, context) -> None:
        cfg = context.run_config
        book = RunBook(build_model, load_test, cfg, include_buffers, log)
        num_clients = int(cfg["num-clients"])
        options = json.loads(str(cfg.get("strategy-options", "{}")))
        strategy = build_strategy(str(cfg.get("strategy", "fedavg")), num_clients,
                                  min_clients=int(cfg.get("min-clients", num_clients)),
                                  fraction=float(cfg.get("fraction", 1.0)),
                                  federated_evaluation=bool(cfg.get("client-evaluate", False)),
                                  **options)  # fmt: skip
        noise = float(cfg.get("dp-noise", 0.0))
        if noise > 0:
            sampled = max(1, int(num_clients * float(cfg.get("fraction", 1.0))))
            strategy = with_differential_privacy(strategy, noise, float(cfg.get("dp-clip", 1.0)),
                                                 sampled)  # fmt: skip
        guarded = guard(strategy, log=log)
        # packed (default): one array per dtype on the wire, the layout in the config
        layout = layout_of(book.arrays()) if str(cfg.get("wire", "packed")) == "packed" else None
        wire = {} if layout is None else {"layout": layout}

        def evaluate_fn(server_round: int, arrays) -> MetricRecord:
            extra = {}
            if noise > 0 and server_round > 0:
                delta = float(cfg.get("dp-delta", 1e-5))
                extra = {"epsilon": gaussian_epsilon(noise, book.done + server_round, delta),
                         "delta": delta}  # fmt: skip
            seen = guarded.rounds[-1] if guarded.rounds else {}
            metrics = book.evaluate(server_round, from_array_record(arrays, layout), seen, **extra)
            return MetricRecord({"loss": metrics["loss"], "accuracy": metrics["accuracy"]})

        if book.total - book.done > 0:
            initial = to_array_record(book.arrays(), packed=layout is not None)
            guarded.start(grid=_PromptGrid(grid), initial_arrays=initial,
                          num_rounds=book.total - book.done,
                          timeout=float(cfg.get("round-timeout", 120)),
                          train_config=ConfigRecord({**book.train_config(), **wire}),
                          evaluate_config=ConfigRecord(wire),
                          evaluate_fn=evaluate_fn)  # fmt: skip
        book.finish()

    return app
