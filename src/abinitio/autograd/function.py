"""``Function``: one differentiable primitive, its forward and its backward side by side.

A primitive is a class with two static methods that see raw arrays, never Tensors::

    class Tanh(Function):
        @staticmethod
        def forward(ctx, x):              # y = tanh(x)
            y = np.tanh(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):             # dL/dx = dL/dy * dy/dx = g * (1 - y^2)
            (y,) = ctx.saved_tensors
            return g * (1 - y * y)

``Tanh.apply(t)`` runs ``forward`` on ``t``'s array and wraps the result in a Tensor. If
recording is on and an input requires a gradient, the result also keeps a :class:`Context`
(``result._ctx``): the link to the inputs and the arrays saved for backward. Those links
form the graph the engine walks backwards (the chain rule), calling each ``backward`` with
``g = dL/d(output)`` and collecting one ``dL/d(input)`` per input (``None`` where an input
needs none). Gradients must have the *output's* broadcast shape: the engine sums them down
to each input's shape, so no primitive has to undo broadcasting itself.

Inputs that are not Tensors (Python numbers, index arrays, options) are passed to
``forward`` unchanged and never receive a gradient.
"""

from __future__ import annotations

from abinitio.autograd import anomaly, grad_mode, profiling
from abinitio.tensor import Tensor


class Context:
    """What one recorded operation remembers for the backward pass (PyTorch's ``ctx``).

    Attributes:
        fn: the :class:`Function` subclass that made the output.
        inputs: the forward's inputs (Tensors and constants), in order.
        needs_input_grad: one bool per input: does it require a gradient?
        saved_tensors: the arrays ``forward`` saved with :meth:`save_for_backward`.

    ``forward`` may also store plain attributes (``ctx.dim = dim``) for ``backward``.

    See the article docs/articles/learning/backpropagation.py.
    """

    def __init__(self, fn, needs_input_grad) -> None:
        self.fn = fn
        self.needs_input_grad = needs_input_grad
        self.inputs = ()
        self.saved_tensors = ()

    def save_for_backward(self, *arrays) -> None:
        """Keep ``arrays`` until backward (freed after it unless ``retain_graph=True``)."""
        self.saved_tensors = arrays

    @property
    def freed(self) -> bool:
        """Has backward released what this node saved (``retain_graph=False``)?"""
        return self.saved_tensors is None

    def name(self) -> str:
        """``"MulBackward"`` for a Mul, as PyTorch names its graph nodes."""
        return self.fn.__name__ + "Backward"

    @property
    def next_functions(self) -> tuple:
        """The graph nodes of this node's Tensor inputs (``None`` for leaves and constants)."""
        return tuple(getattr(x, "_ctx", None) for x in self.inputs)

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class Function:
    """Base class of every differentiable primitive. Subclasses define the two static
    methods ``forward(ctx, *arrays, **options)`` and ``backward(ctx, grad_output)``.

    See the article docs/articles/learning/backpropagation.py.
    """

    @staticmethod
    def forward(ctx: Context, *arrays, **options):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx: Context, grad_output):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *inputs, **options) -> Tensor:
        """Run the primitive on ``inputs`` and, when needed, record it in the graph."""
        arrays = []
        needs = []
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.array)
                needs.append(x._requires_grad)
            else:
                arrays.append(x)
                needs.append(False)
        record = grad_mode._state.enabled and True in needs
        ctx = Context(cls, tuple(needs))
        recorder = profiling._state.recorder  # None unless a profiler runs
        try:
            if recorder is None:
                data = cls.forward(ctx, *arrays, **options)
            else:
                data = recorder.run(cls.__name__, cls.forward, (ctx, *arrays), options, arrays)
        except (ValueError, IndexError) as error:
            shapes = ", ".join(str(getattr(a, "shape", type(a).__name__)) for a in arrays)
            message = f"{cls.__name__.lower()}: {error} (input shapes: {shapes})"
            raise type(error)(message) from None
        if anomaly._state.enabled:  # where a NaN is born, not where it is noticed
            ctx.created_at = anomaly.user_call_site()
            anomaly.check_forward(cls, arrays, data, ctx.created_at)
        if not record:
            return Tensor._make(data, False, None)
        ctx.inputs = inputs
        return Tensor._make(data, True, ctx)
