"""Secure aggregation with Flower's own SecAgg+ (Bell et al., 2020): the server learns the
example-weighted mean of the clients' models and nothing about any one of them.

Each client quantises its weighted parameters to integers, adds a private mask and one
pairwise mask per neighbour (the two ends of a pair add and subtract the same mask), and
sends only that sum modulo :math:`2^{32}`. The pairwise masks cancel in the server's sum;
the private masks, and the pairwise masks of clients that dropped out mid-round, are
removed with Shamir shares of the seeds that the surviving neighbours hand over, at least
``reconstruction_threshold`` of them per client. So the server sees

.. math::
    \\sum_i Q\\!\\left(\\frac{n_i}{M} w_i\\right) \\;\\Rightarrow\\;
    \\bar w = \\frac{\\sum_i n_i w_i}{\\sum_i n_i} + \\epsilon,\\qquad
    \\lvert\\epsilon\\rvert \\le \\frac{N}{\\sum_i n_i / M}\\cdot\\frac{2c}{R}

for :math:`N` clients with :math:`n_i` examples, ``max_weight`` :math:`M`, values clipped to
:math:`[-c, c]` (``clipping_range``) and quantised to :math:`R` levels
(``quantization_range``, :math:`2^{22}`): stochastic rounding costs at most one level per
client and coordinate.

Flower 1.42 runs SecAgg+ only in its legacy workflow API: ``SecAggPlusWorkflow`` as the fit
step of a ``DefaultWorkflow`` driving a legacy ``flwr.server.strategy.FedAvg`` (which then
only passes the unmasked mean on), and ``secaggplus_mod`` in a ``ClientApp`` built from a
``client_fn`` whose ``NumPyClient.fit`` returns the parameters. This module builds those
two around the same local training (:func:`abinitio.federated.apps.train_round`) and the
same run book (:class:`abinitio.federated.apps.RunBook`) as the plain apps.

What it excludes: the server can no longer look at an update, so the guard that keeps NaN,
infinite and wrongly shaped updates out of the average runs on the client, before masking
(``guard_before_masking``): a client whose update fails it replies with an error, and
SecAgg+ treats it as dropped (its masks are reconstructed from its neighbours' shares). A
value outside :math:`[-c, c]`, which SecAgg+ would silently clip, is refused the same way.
That guard protects against faults (a diverged client, a bug), not against a malicious
client, which runs its own code; the server checks what it can, the mean.

See the article docs/articles/learning/federated_learning.py.
"""

from __future__ import annotations

import numpy as np

from abinitio.federated.apps import RunBook, _PromptGrid, train_round
from abinitio.federated.parameters import ModelMismatchError, check_update, model_arrays

__all__ = ["guard_before_masking", "make_secure_client_app", "make_secure_server_app",
           "named_arrays"]  # fmt: skip

CLIPPING_RANGE = 8.0  # Flower's default


def named_arrays(model, ndarrays, include_buffers: bool = True) -> dict:
    """Flower's legacy parameters (a list of arrays, in ``state_dict`` order) as name ->
    array for ``model``; a different count is a ModelMismatchError (shapes are checked by
    :func:`~abinitio.federated.parameters.load_arrays`)."""
    names = list(model_arrays(model, include_buffers))
    ndarrays = list(ndarrays)
    if len(names) != len(ndarrays):
        raise ModelMismatchError(
            f"the server's model does not match this model ({model!r}): expected "
            f"{len(names)} arrays ({names}), got {len(ndarrays)}"
        )
    return dict(zip(names, ndarrays))


def guard_before_masking(arrays: dict, reference: dict, clipping_range: float) -> str | None:
    """Why ``arrays`` must not enter secure aggregation (None when it may): names or shapes
    unlike ``reference`` (name -> shape), NaN or inf, or a value outside
    [-clipping_range, clipping_range], which SecAgg+'s quantisation would silently clip."""
    problem = check_update(arrays, reference)
    if problem:
        return problem
    outside = [name for name, a in arrays.items() if np.abs(np.asarray(a)).max(initial=0) >
               clipping_range]  # fmt: skip
    if outside:
        return (f"values outside SecAgg+'s clipping range [-{clipping_range:g}, "
                f"{clipping_range:g}] in {outside}")  # fmt: skip
    return None


def make_secure_client_app(build_model, load_partition, include_buffers: bool = True):
    """A Flower ClientApp that trains as :func:`~abinitio.federated.apps.make_client_app`
    does and takes part in SecAgg+ through Flower's ``secaggplus_mod``: its update leaves
    the process only masked, after passing :func:`guard_before_masking`.

    See the article docs/articles/learning/federated_learning.py.
    """
    from flwr.client import NumPyClient
    from flwr.client.mod import secaggplus_mod
    from flwr.clientapp import ClientApp

    cache = {}

    class SecureClient(NumPyClient):
        def __init__(self, context) -> None:
            self.context = context
            self.pid = int(context.node_config.get("partition-id", -1))
            if "data" not in cache:
                cache["data"] = load_partition(context.run_config, context.node_config)
            self.x, self.y = cache["data"]

        def get_parameters(self, config):
            model = build_model(self.context.run_config)
            return list(model_arrays(model, include_buffers).values())

        def fit(self, parameters, config):
            model = build_model(self.context.run_config)
            received = named_arrays(model, parameters, include_buffers)
            arrays, metrics = train_round(model, self.x, self.y, received, config,
                                          self.context, self.pid, include_buffers)  # fmt: skip
            clip = float(self.context.run_config.get("secagg-clipping-range", CLIPPING_RANGE))
            problem = guard_before_masking(arrays, {n: np.shape(a) for n, a in received.items()},
                                           clip)  # fmt: skip
            if problem:
                raise ValueError(f"partition {self.pid}: update refused before masking: "
                                 f"{problem}")  # fmt: skip
            return list(arrays.values()), int(metrics["num-examples"]), metrics

    def client_fn(context):
        return SecureClient(context).to_client()

    return ClientApp(client_fn=client_fn, mods=[secaggplus_mod])


def make_secure_server_app(build_model, load_test, include_buffers: bool = True, log=print):
    """A Flower ServerApp that runs FedAvg through Flower's SecAgg+ workflow, evaluating,
    checkpointing and recording each round as the plain ServerApp does. Run config:
    ``secagg-num-shares`` (3), ``secagg-threshold`` (2), ``secagg-max-weight`` (the most
    examples a client may weigh; the launcher puts the training set's size),
    ``secagg-clipping-range`` (8.0).

    See the article docs/articles/learning/federated_learning.py.
    """
    from flwr.common import ndarrays_to_parameters
    from flwr.server import LegacyContext, ServerApp, ServerConfig
    from flwr.server.strategy import FedAvg
    from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow

    app = ServerApp()

    @app.main()
    def main(grid, context) -> None:
        cfg = context.run_config
        book = RunBook(build_model, load_test, cfg, include_buffers, log)
        if book.total - book.done <= 0:
            book.finish()
            return
        num_clients = int(cfg["num-clients"])
        min_clients = int(cfg.get("min-clients", num_clients))
        fraction = float(cfg.get("fraction", 1.0))
        seen = {}

        class RecordingFedAvg(FedAvg):
            """Flower's FedAvg; SecAgg+ hands it every survivor's reply carrying the same
            unmasked mean, so its weighted average of them is that mean. It records what
            the round's replies said (metrics, never arrays) for the run book."""

            def aggregate_fit(self, server_round, results, failures):
                seen.clear()
                seen["clients"] = {str(proxy.node_id): dict(res.metrics)
                                   for proxy, res in results}  # fmt: skip
                # Flower's SecAgg+ lists a client that fails while masking twice
                reasons = list(dict.fromkeys(str(failure) for failure in failures))
                seen["rejected"] = [{"node": None, "partition": None, "reason": reason}
                                    for reason in reasons]  # fmt: skip
                for reason in reasons:
                    log(f"round {book.done + server_round}: a client dropped out of secure "
                        f"aggregation: {reason}")  # fmt: skip
                seen["aggregated"] = len(results)
                return super().aggregate_fit(server_round, results, failures)

        def evaluate_fn(server_round, ndarrays, config):
            arrays = named_arrays(book.model, ndarrays, include_buffers)
            # a round SecAgg+ halted (too few survivors) aggregated nothing: empty record
            metrics = book.evaluate(server_round, arrays, dict(seen) if server_round else {})
            seen.clear()
            return metrics["loss"], {"accuracy": metrics["accuracy"]}

        train_config = book.train_config()
        strategy = RecordingFedAvg(
            fraction_fit=fraction, fraction_evaluate=0.0,
            min_fit_clients=max(2, min(min_clients, int(num_clients * fraction))),
            min_available_clients=min_clients, evaluate_fn=evaluate_fn,
            on_fit_config_fn=lambda server_round: {**train_config, "server-round": server_round},
            initial_parameters=ndarrays_to_parameters(list(book.arrays().values())),
        )  # fmt: skip
        timeout = float(cfg.get("round-timeout", 120))
        legacy = LegacyContext(context, config=ServerConfig(num_rounds=book.total - book.done,
                                                            round_timeout=timeout),
                               strategy=strategy)  # fmt: skip
        workflow = DefaultWorkflow(fit_workflow=SecAggPlusWorkflow(
            num_shares=int(cfg.get("secagg-num-shares", 3)),
            reconstruction_threshold=int(cfg.get("secagg-threshold", 2)),
            max_weight=float(cfg.get("secagg-max-weight", 1000.0)),
            clipping_range=float(cfg.get("secagg-clipping-range", CLIPPING_RANGE)),
            timeout=timeout,
        ))  # fmt: skip
        workflow(_PromptGrid(grid), legacy)
        book.finish()

    return app
