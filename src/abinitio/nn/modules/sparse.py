"""``Embedding``: a learned vector for each of ``num_embeddings`` symbols."""

from __future__ import annotations

from abinitio import creation
from abinitio.nn import functional as F
from abinitio.nn import init
from abinitio.nn.modules.module import Module
from abinitio.nn.parameter import Parameter


class Embedding(Module):
    """A lookup table: index i -> row i of ``weight`` (num_embeddings, embedding_dim).

    Equivalent to one-hot encoding followed by a Linear layer without bias, but without
    ever building the one-hot matrix. Rows start from N(0, 1) (PyTorch's default); the
    ``padding_idx`` row starts at zero and receives no gradient.

    Shape:
        input (*) integers -> output (*, embedding_dim).

    Example:
        >>> import abinitio as ab
        >>> table = ab.nn.Embedding(10, 4)
        >>> table(ab.tensor([[1, 2, 9]])).shape
        (1, 3, 4)

    See the article docs/articles/architectures/transformers.py.
    """

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None
    ) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx {padding_idx} is outside [0, {num_embeddings})"
                )
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.weight = Parameter(creation.empty(num_embeddings, embedding_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, input):
        try:
            return F.embedding(input, self.weight, self.padding_idx)
        except (IndexError, TypeError) as error:
            raise type(error)(f"{self!r}: {error}") from None

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"
