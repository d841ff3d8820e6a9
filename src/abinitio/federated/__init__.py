"""Federated learning on Flower: any abinitio model trained across clients that never
share their data.

Flower brings the protocol, the strategies (FedAvg, FedProx, FedAdam, ...), the transport
and the fault handling; this package brings the model and the local training:

* :mod:`~abinitio.federated.partitions`: IID, label-shard and Dirichlet(alpha) splits and
  a plot of the labels each client holds (NumPy only);
* :mod:`~abinitio.federated.parameters`: a model to and from Flower's ``ArrayRecord`` in
  ``state_dict`` order, names and shapes checked; the check that rejects bad updates;
* :mod:`~abinitio.federated.apps`: ``make_client_app`` and ``make_server_app``;
* :mod:`~abinitio.federated.strategies`: Flower's strategies by name, its DP wrapper, and
  the guard that keeps failed, malformed and non-finite updates out of the average;
* :mod:`~abinitio.federated.secure`: the same apps under Flower's secure aggregation
  (SecAgg+), with the update guard moved to the client, before masking;
* :mod:`~abinitio.federated.launcher`: Flower's deployment engine on 127.0.0.1.

Everything that needs Flower (``pip install "abinitio[federated]"``) imports it lazily.
See the article docs/articles/learning/federated_learning.py.
"""

from abinitio.federated.launcher import LoopbackFederation, free_port, write_app
from abinitio.federated.parameters import (
    ModelMismatchError,
    check_update,
    from_array_record,
    layout_of,
    load_arrays,
    model_arrays,
    pack_arrays,
    to_array_record,
    unpack_arrays,
)
from abinitio.federated.partitions import (
    dirichlet_partition,
    iid_partition,
    label_counts,
    parse_partition,
    partition,
    plot_label_distribution,
    shard_partition,
)
from abinitio.federated.strategies import STRATEGIES, build_strategy, gaussian_epsilon, guard

__all__ = [
    "STRATEGIES",
    "LoopbackFederation",
    "ModelMismatchError",
    "ProximalLoss",
    "build_strategy",
    "check_update",
    "dirichlet_partition",
    "free_port",
    "from_array_record",
    "gaussian_epsilon",
    "guard",
    "iid_partition",
    "label_counts",
    "layout_of",
    "load_arrays",
    "local_train",
    "make_client_app",
    "make_secure_client_app",
    "make_secure_server_app",
    "make_server_app",
    "model_arrays",
    "pack_arrays",
    "parse_partition",
    "partition",
    "plot_label_distribution",
    "shard_partition",
    "to_array_record",
    "unpack_arrays",
    "write_app",
]


def __getattr__(name):
    # the apps import Flower at module level of their factories only; keep them lazy too
    if name in ("ProximalLoss", "local_train", "make_client_app", "make_server_app",
                "evaluate_arrays"):
        from abinitio.federated import apps

        return getattr(apps, name)
    if name in ("make_secure_client_app", "make_secure_server_app"):
        from abinitio.federated import secure

        return getattr(secure, name)
    raise AttributeError(f"module 'abinitio.federated' has no attribute {name!r}")
