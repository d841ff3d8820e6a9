"""Split a labelled data set among clients: IID, label shards, Dirichlet(alpha) over labels.

Each partitioner takes the labels ``y`` (N,) and returns one index array per client; the
indices of all clients together are ``range(N)``, each exactly once, so no example is
shared. All three are seeded and deterministic, which lets every client process compute
the same split and keep only its own part.

*IID*: a random permutation cut into ``num_clients`` near-equal parts.

*Label shards* (McMahan et al., 2017, "Communication-Efficient Learning of Deep Networks
from Decentralized Data"): sort by label, cut into ``num_clients * shards_per_client``
contiguous shards, give each client ``shards_per_client`` of them at random. With 2 shards
a client sees about two classes.

*Dirichlet(alpha)* (Hsu et al., 2019): for every class ``c`` draw the proportions
:math:`p_c \\sim \\mathrm{Dir}(\\alpha \\mathbf{1}_K)` over the ``K`` clients and deal the
examples of class ``c`` out in those proportions. Small ``alpha`` (0.1) gives each client a
few dominant classes; large ``alpha`` (100) approaches IID. Draws that leave a client with
fewer than ``min_size`` examples are redrawn.

flwr-datasets has the same partitioners, but they work on Hugging Face ``datasets``
objects; these work on an in-memory NumPy label array with NumPy alone.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "dirichlet_partition",
    "iid_partition",
    "label_counts",
    "parse_partition",
    "partition",
    "plot_label_distribution",
    "shard_partition",
]


def _check(labels, num_clients: int, name: str) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{name}: labels must be 1-D (N,), got shape {labels.shape}")
    if not isinstance(num_clients, (int, np.integer)) or num_clients < 1:
        raise ValueError(f"{name}: num_clients must be a positive integer, got {num_clients!r}")
    if len(labels) < num_clients:
        raise ValueError(
            f"{name}: {len(labels)} examples cannot be split among {num_clients} clients "
            f"(every client needs at least one)"
        )
    return labels


def iid_partition(labels, num_clients: int, seed: int = 0) -> list[np.ndarray]:
    """A random permutation of ``range(N)`` cut into ``num_clients`` near-equal parts.

    Example:
        >>> [len(p) for p in iid_partition([0, 1] * 5, 3)]
        [4, 3, 3]

    See the article docs/articles/learning/federated_learning.py.
    """
    labels = _check(labels, num_clients, "iid_partition")
    order = np.random.default_rng(seed).permutation(len(labels))
    return [np.sort(part) for part in np.array_split(order, num_clients)]


def shard_partition(labels, num_clients: int, shards_per_client: int = 2,
                    seed: int = 0) -> list[np.ndarray]:  # fmt: skip
    """McMahan et al.'s pathological non-IID split: sorted by label, cut into
    ``num_clients * shards_per_client`` shards, ``shards_per_client`` shards per client.

    Example:
        >>> y = np.repeat([0, 1, 2, 3], 5)
        >>> [np.unique(y[p]).tolist() for p in shard_partition(y, 2)]
        [[0, 2], [1, 3]]

    See the article docs/articles/learning/federated_learning.py.
    """
    labels = _check(labels, num_clients, "shard_partition")
    if shards_per_client < 1:
        raise ValueError(
            f"shard_partition: shards_per_client must be >= 1, got {shards_per_client}"
        )
    num_shards = num_clients * shards_per_client
    if num_shards > len(labels):
        raise ValueError(
            f"shard_partition: {num_clients} clients x {shards_per_client} shards = {num_shards} "
            f"shards, more than the {len(labels)} examples"
        )
    rng = np.random.default_rng(seed)
    # a stable sort: equal labels keep their order, so the split depends on the seed alone
    shards = np.array_split(np.argsort(labels, kind="stable"), num_shards)
    dealt = rng.permutation(num_shards).reshape(num_clients, shards_per_client)
    return [np.sort(np.concatenate([shards[s] for s in row])) for row in dealt]


def dirichlet_partition(labels, num_clients: int, alpha: float, seed: int = 0,
                        min_size: int = 1, max_tries: int = 1000) -> list[np.ndarray]:  # fmt: skip
    """Deal each class out in proportions drawn from Dirichlet(alpha); redraw until every
    client holds at least ``min_size`` examples.

    Example:
        >>> y = np.repeat(np.arange(10), 50)
        >>> parts = dirichlet_partition(y, 5, alpha=0.5)
        >>> sum(len(p) for p in parts), min(len(p) for p in parts) >= 1
        (500, True)

    See the article docs/articles/learning/federated_learning.py.
    """
    labels = _check(labels, num_clients, "dirichlet_partition")
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"dirichlet_partition: alpha must be a positive number, got {alpha!r}")
    if min_size * num_clients > len(labels):
        raise ValueError(
            f"dirichlet_partition: {num_clients} clients x min_size {min_size} is more than "
            f"the {len(labels)} examples"
        )
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    for _ in range(max_tries):
        parts = [[] for _ in range(num_clients)]
        for c in classes:
            members = rng.permutation(np.flatnonzero(labels == c))
            shares = rng.dirichlet(np.full(num_clients, float(alpha)))
            cuts = (np.cumsum(shares)[:-1] * len(members)).astype(int)
            for client, chunk in enumerate(np.split(members, cuts)):
                parts[client].append(chunk)
        parts = [np.sort(np.concatenate(p)) for p in parts]
        if min(len(p) for p in parts) >= min_size:
            return parts
    raise ValueError(
        f"dirichlet_partition: no draw in {max_tries} gave every one of {num_clients} clients "
        f"{min_size} example(s) at alpha={alpha}; use fewer clients or a larger alpha"
    )


def parse_partition(spec: str) -> tuple[str, float | None]:
    """``"iid"``, ``"shards:2"``, ``"dirichlet:0.5"`` -> (kind, argument)."""
    kind, _, argument = str(spec).partition(":")
    if kind not in ("iid", "shards", "dirichlet"):
        raise ValueError(f"partition must be iid, shards:K or dirichlet:ALPHA, got {spec!r}")
    if kind == "iid":
        if argument:
            raise ValueError(f"partition iid takes no argument, got {spec!r}")
        return kind, None
    default = "2" if kind == "shards" else None
    try:
        value = float(argument or default)
    except (TypeError, ValueError):
        raise ValueError(f"partition {kind} needs a number after ':', got {spec!r}") from None
    if kind == "dirichlet" and not value > 0:
        raise ValueError(f"partition dirichlet: alpha must be > 0, got {spec!r}")
    if kind == "shards" and (value != int(value) or value < 1):
        raise ValueError(f"partition shards: K must be a positive integer, got {spec!r}")
    return kind, value


def partition(labels, num_clients: int, spec: str = "iid", seed: int = 0) -> list[np.ndarray]:
    """Split by a spec string: ``"iid"``, ``"shards:K"`` or ``"dirichlet:ALPHA"``.

    Example:
        >>> [len(p) for p in partition(np.arange(12) % 3, 4, "iid")]
        [3, 3, 3, 3]

    See the article docs/articles/learning/federated_learning.py.
    """
    kind, value = parse_partition(spec)
    if kind == "iid":
        return iid_partition(labels, num_clients, seed)
    if kind == "shards":
        return shard_partition(labels, num_clients, int(value), seed)
    return dirichlet_partition(labels, num_clients, value, seed)


def label_counts(labels, parts, num_classes: int | None = None) -> np.ndarray:
    """(clients, classes) counts: how many examples of each class each client holds."""
    labels = np.asarray(labels)
    num_classes = num_classes or int(labels.max()) + 1
    return np.stack([np.bincount(labels[p], minlength=num_classes) for p in parts])


def plot_label_distribution(counts, title: str = "labels per client", ax=None):
    """A stacked bar per client, one colour per class; returns the matplotlib Axes."""
    import matplotlib.pyplot as plt

    counts = np.asarray(counts)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.0, 0.45 * len(counts) + 2), 3.2))
    bottom = np.zeros(len(counts))
    colours = plt.get_cmap("tab10" if counts.shape[1] <= 10 else "tab20")
    for c in range(counts.shape[1]):
        ax.bar(np.arange(len(counts)), counts[:, c], bottom=bottom, color=colours(c % 20),
               label=str(c), width=0.8)  # fmt: skip
        bottom += counts[:, c]
    ax.set_xlabel("client")
    ax.set_ylabel("examples")
    ax.set_xticks(np.arange(len(counts)))
    ax.set_title(title)
    ax.legend(title="class", fontsize=6, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax
