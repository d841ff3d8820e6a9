"""Flower's own strategies by name, the differential-privacy wrapper, and ``Guarded``: the
wrapper that keeps failed, malformed and non-finite updates out of any strategy's average.

Aggregation is Flower's: ``build_strategy("fedavg", ...)`` returns
``flwr.serverapp.strategy.FedAvg`` and so on. ``Guarded`` only filters the replies a round
brought before handing them to the wrapped strategy, and records what it saw (per-client
metrics, rejected clients and why, round times) for the report.
"""

from __future__ import annotations

import math
import time

from abinitio.federated.parameters import check_update, from_array_record

__all__ = ["STRATEGIES", "Guarded", "build_strategy", "gaussian_epsilon"]

# name -> (Flower class name, its own keyword arguments with our defaults)
STRATEGIES = {
    "fedavg": ("FedAvg", {}),
    "fedprox": ("FedProx", {"proximal_mu": 0.1}),
    "fedadam": ("FedAdam", {"eta": 1e-2, "eta_l": 1e-1, "beta_1": 0.9, "beta_2": 0.99,
                            "tau": 1e-3}),  # fmt: skip
    "fedyogi": ("FedYogi", {"eta": 1e-2, "eta_l": 1e-1, "beta_1": 0.9, "beta_2": 0.99,
                            "tau": 1e-3}),  # fmt: skip
    "fedadagrad": ("FedAdagrad", {"eta": 1e-1, "eta_l": 1e-1, "tau": 1e-3}),
    "fedavgm": ("FedAvgM", {"server_learning_rate": 1.0, "server_momentum": 0.9}),
    "fedtrimmedavg": ("FedTrimmedAvg", {"beta": 0.2}),
    "fedmedian": ("FedMedian", {}),
    "krum": ("Krum", {"num_malicious_nodes": 0}),
}


def build_strategy(name: str, num_clients: int, min_clients: int | None = None,
                   fraction: float = 1.0, federated_evaluation: bool = False,
                   **options):  # fmt: skip
    """Flower's strategy ``name`` (see STRATEGIES) sampling ``fraction`` of the clients
    each round and running when at least ``min_clients`` are available. ``options``
    override the strategy's own arguments (``proximal_mu=0.01``, ``eta=0.1``, ...).

    Example:
        >>> type(build_strategy("fedprox", 4, proximal_mu=0.5)).__name__
        'FedProx'

    See the article docs/articles/learning/federated_learning.py.
    """
    from flwr.serverapp import strategy as flower

    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    class_name, defaults = STRATEGIES[name]
    unknown = set(options) - set(defaults)
    if unknown:
        raise ValueError(
            f"strategy {name} has no option {sorted(unknown)}; it takes {sorted(defaults)}"
        )
    min_clients = num_clients if min_clients is None else min_clients
    if not 1 <= min_clients <= num_clients:
        raise ValueError(f"min_clients must be in [1, {num_clients}], got {min_clients}")
    sampled = max(1, min(num_clients, int(num_clients * fraction)))
    kwargs = {**defaults, **options}
    return getattr(flower, class_name)(
        fraction_train=fraction,
        fraction_evaluate=fraction if federated_evaluation else 0.0,
        min_train_nodes=min(min_clients, sampled),
        min_evaluate_nodes=min(min_clients, sampled),
        min_available_nodes=min_clients,
        **kwargs,
    )


def with_differential_privacy(strategy, noise_multiplier: float, clipping_norm: float,
                              num_sampled_clients: int):  # fmt: skip
    """Flower's central DP, server side: each client's update is clipped to L2 norm
    ``clipping_norm`` and Gaussian noise of standard deviation
    ``noise_multiplier * clipping_norm / num_sampled_clients`` is added to their mean."""
    from flwr.serverapp.strategy import DifferentialPrivacyServerSideFixedClipping

    return DifferentialPrivacyServerSideFixedClipping(
        strategy, noise_multiplier=noise_multiplier, clipping_norm=clipping_norm,
        num_sampled_clients=num_sampled_clients,
    )  # fmt: skip


def gaussian_epsilon(noise_multiplier: float, rounds: int, delta: float) -> float:
    """epsilon of ``rounds`` releases of the Gaussian mechanism with noise multiplier
    sigma (client-level adjacency, every client in every round: no subsampling
    amplification), by Renyi DP (Mironov, 2017):

    .. math::
        \\varepsilon(\\delta) = \\min_{\\alpha > 1} \\frac{T\\alpha}{2\\sigma^2}
        + \\frac{\\log(1/\\delta)}{\\alpha - 1}
        = \\frac{T}{2\\sigma^2} + \\sqrt{\\frac{2T\\log(1/\\delta)}{\\sigma^2}}

    Example:
        >>> round(gaussian_epsilon(1.0, 10, 1e-5), 2)
        20.17

    See the article docs/articles/learning/federated_learning.py.
    """
    if noise_multiplier <= 0:
        return math.inf
    ratio = rounds / noise_multiplier**2
    return ratio / 2 + math.sqrt(2 * ratio * math.log(1 / delta))


class Guarded:
    """Wrap a Flower Strategy: before the wrapped strategy aggregates a round, drop every
    reply that is an error, lacks the update, or whose arrays differ from the global
    model's names and shapes or hold NaN/inf; log each with the client's node id and
    partition id. What the wrapped strategy averages is therefore only sound updates.

    It is built lazily as a subclass of ``flwr.serverapp.strategy.Strategy`` (see
    ``guard``), so that importing this module does not import Flower.
    """


def guard(strategy, log=print):
    """``strategy`` wrapped so that bad updates never reach its aggregation (see Guarded).

    See the article docs/articles/learning/federated_learning.py.
    """
    from flwr.serverapp.strategy import Strategy

    class _Guarded(Strategy, Guarded):
        def __init__(self, inner) -> None:
            self.inner = inner
            self.reference = {}
            self.rounds: list[dict] = []
            self._current: dict = {}

        def summary(self) -> None:
            self.inner.summary()

        def configure_train(self, server_round, arrays, config, grid):
            self.reference = {name: a.shape for name, a in arrays.items()}
            self._current = {"round": server_round, "started": time.perf_counter(),
                             "clients": {}, "rejected": []}  # fmt: skip
            self.rounds.append(self._current)
            messages = list(self.inner.configure_train(server_round, arrays, config, grid))
            self._current["sampled"] = [str(m.metadata.dst_node_id) for m in messages]
            return messages

        def aggregate_train(self, server_round, replies):
            replies = list(replies)
            kept = []
            for reply in replies:
                reason = self._problem(reply)
                node = reply.metadata.src_node_id
                if reason is None:
                    kept.append(reply)
                    metrics = dict(reply.content["metrics"])
                    self._current["clients"][str(node)] = metrics
                    continue
                partition = self._partition(reply)
                log(f"round {server_round}: rejected the update of node {node} "
                    f"(partition {partition}): {reason}")  # fmt: skip
                self._current["rejected"].append(
                    {"node": str(node), "partition": partition, "reason": reason}
                )
            replied = {str(reply.metadata.src_node_id) for reply in replies}
            for node in self._current.get("sampled", []):
                if node not in replied:
                    reason = "no reply within the round timeout (hung or dropped)"
                    log(f"round {server_round}: node {node}: {reason}")
                    self._current["rejected"].append(
                        {"node": node, "partition": None, "reason": reason}
                    )
            self._current["replies"] = len(replies)
            self._current["aggregated"] = len(kept)
            if not kept:
                log(f"round {server_round}: no sound update arrived; the model is unchanged")
                return None, None
            result = self.inner.aggregate_train(server_round, kept)
            self._current["train_seconds"] = time.perf_counter() - self._current["started"]
            return result

        def configure_evaluate(self, server_round, arrays, config, grid):
            return self.inner.configure_evaluate(server_round, arrays, config, grid)

        def aggregate_evaluate(self, server_round, replies):
            replies = [r for r in replies if not r.has_error()]
            for reply in replies:
                node = str(reply.metadata.src_node_id)
                metrics = {f"eval-{k}": v for k, v in dict(reply.content["metrics"]).items()}
                self._current.setdefault("clients", {}).setdefault(node, {}).update(metrics)
            return self.inner.aggregate_evaluate(server_round, replies) if replies else None

        def _problem(self, reply) -> str | None:
            if reply.has_error():
                return f"the client failed: {reply.error.reason}"
            content = reply.content
            if "arrays" not in content.array_records or "metrics" not in content.metric_records:
                return "the reply carries no 'arrays' and 'metrics' records"
            if "num-examples" not in content["metrics"]:
                return "the reply's metrics lack 'num-examples'"
            return check_update(from_array_record(content["arrays"]), self.reference)

        @staticmethod
        def _partition(reply):
            if reply.has_error():
                return None
            metrics = reply.content.metric_records.get("metrics")
            return None if metrics is None else metrics.get("partition-id")

    return _Guarded(strategy)
