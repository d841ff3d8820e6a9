"""Optimisers (``torch.optim``): they update parameters from their gradients.

The loop every optimiser serves::

    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

Learning-rate schedules live in the submodule :mod:`abinitio.optim.lr_scheduler`, as in
PyTorch: ``from abinitio.optim import lr_scheduler``.
"""

from abinitio.optim.adadelta import Adadelta
from abinitio.optim.adagrad import Adagrad
from abinitio.optim.adam import Adam, AdamW
from abinitio.optim.lbfgs import LBFGS
from abinitio.optim.optimizer import Optimizer
from abinitio.optim.rmsprop import RMSprop
from abinitio.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "LBFGS"]
