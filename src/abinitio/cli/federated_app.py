"""The Flower components of ``abinitio federated``, for ``flwr run`` to load by name
(``abinitio.cli.federated_app:server_app`` and ``:client_app``; ``secure_server_app`` and
``secure_client_app`` under ``--secure-aggregation``): the data set and model
come from the run config, built as ``abinitio train`` builds them. Importing this module
imports Flower, so only Flower's processes import it."""

from abinitio.cli.federated import build_model, load_partition, load_test
from abinitio.federated.apps import make_client_app, make_server_app
from abinitio.federated.secure import make_secure_client_app, make_secure_server_app

client_app = make_client_app(build_model, load_partition)
server_app = make_server_app(build_model, load_test)
secure_client_app = make_secure_client_app(build_model, load_partition)
secure_server_app = make_secure_server_app(build_model, load_test)
