"""A network for tables: continuous features and entity embeddings of categories, then
an MLP; for regression, an output layer in the target's own units.
"""

from __future__ import annotations

from abinitio import nn
from abinitio.creation import tensor
from abinitio.ops.shape import cat


class TabularMLP(nn.Module):
    """An MLP over a table's features, with one learned embedding per categorical column.

    The input row is ``[c_1 .. c_D, k_1 .. k_E]``: D continuous features (standardised
    numbers, 0/1 flags, one-hot blocks) and E category indices, as
    :class:`abinitio.data.tabular.TabularPreprocessor` lays them out. Each index ``k_j``
    picks row ``k_j`` of its own table ``E_j`` (an ``nn.Embedding``, Guo and Berkhahn 2016,
    "Entity embeddings of categorical variables"), so a column with 1,000 levels costs
    ``dim_j`` inputs instead of 1,000 one-hot inputs, and similar levels can learn nearby
    vectors:

        h = [c, E_1[k_1], ..., E_E[k_E]]
        f = Linear(ReLU(... Linear(h)))              (hidden_sizes, dropout after each)
        f = f + W h                                  with wide=True (a linear path beside)
        y = f                                        classification: logits
        y = target_std * f + target_mean             regression: the target's units

    The regression output scale (fixed buffers, not learned) lets the layers work on a
    target of mean 0 and std 1 whatever its units, while the loss, the metrics and the
    predictions are in the units of the data. Gradients flow into every embedding row that
    a batch uses: dL/dE_j[k] = sum of dL/dh over the rows whose index is k. The rows
    start from N(0, 0.01^2), not nn.Embedding's N(0, 1): from a large random start the
    layers after it can decode arbitrary codes, and the codes stay arbitrary; from a
    small one they spread out along what the loss needs (the article shows both).

    ``wide=True`` adds a linear model of h beside the deep one ("wide & deep", Cheng et
    al. 2016): on small, nearly linear tables (diabetes) the network then starts from what
    a linear regression sees and learns only the corrections.

    Args:
        n_continuous: D, the continuous features.
        cardinalities: the number of rows of each embedding table (levels + 1 unknown).
        out_features: classes, or 1 for regression.
        hidden_sizes: neurons per hidden layer.
        embedding_dims: the width of each embedding; default min(16, (rows + 1) // 2).
        dropout: dropout after each hidden activation.
        wide: add the linear path W h (no bias) to the output.
        target_mean, target_std: set both for regression (training-split statistics).

    Shape:
        input (N, D + E) float32, the last E columns holding integers -> (N, out_features).

    Example:
        >>> import abinitio as ab
        >>> model = TabularMLP(3, [5], 2, hidden_sizes=(8,))
        >>> x = ab.tensor([[0.1, -1.0, 1.0, 4.0], [0.0, 0.5, 0.0, 0.0]])
        >>> model(x).shape, model.embeddings[0].weight.shape
        ((2, 2), (5, 3))

    See the article docs/articles/data/feature_engineering.py.
    """

    def __init__(self, n_continuous: int, cardinalities=(), out_features: int = 2,
                 hidden_sizes=(64, 32), embedding_dims=None, dropout: float = 0.0,
                 wide: bool = False,
                 target_mean: float | None = None,
                 target_std: float | None = None) -> None:  # fmt: skip
        super().__init__()
        cardinalities = [int(c) for c in cardinalities]
        if embedding_dims is None:
            embedding_dims = [min(16, (c + 1) // 2) for c in cardinalities]
        if len(embedding_dims) != len(cardinalities):
            raise ValueError(
                f"TabularMLP: {len(cardinalities)} embedding tables but "
                f"{len(embedding_dims)} embedding_dims"
            )
        self.n_continuous, self.out_features = n_continuous, out_features
        self.embeddings = nn.ModuleList(
            [nn.Embedding(c, d) for c, d in zip(cardinalities, embedding_dims)]
        )
        for table in self.embeddings:
            # small codes at the start (fastai's tabular models use std 0.01): the levels
            # then spread out only as far as the loss asks, along what matters
            nn.init.normal_(table.weight, std=0.01)
        layers, width = [], n_continuous + sum(embedding_dims)
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, out_features))
        self.layers = nn.Sequential(*layers)
        in_width = n_continuous + sum(embedding_dims)
        self.wide = nn.Linear(in_width, out_features, bias=False) if wide else None
        self.regression = target_mean is not None
        if self.regression:
            self.register_buffer("target_mean", tensor([float(target_mean)]))
            self.register_buffer("target_std", tensor([float(target_std or 1.0)]))

    def forward(self, x):
        parts = [x[:, : self.n_continuous]]
        for j, table in enumerate(self.embeddings):
            parts.append(table(x[:, self.n_continuous + j].long()))
        h = cat(parts, dim=1) if len(parts) > 1 else parts[0]
        out = self.layers(h)
        if self.wide is not None:
            out = out + self.wide(h)
        if self.regression:
            out = out * self.target_std + self.target_mean
        return out

    def extra_repr(self) -> str:
        kind = "regression" if self.regression else "classification"
        return f"n_continuous={self.n_continuous}, {kind}"
