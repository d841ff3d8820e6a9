"""``DistributedDataParallel``: one model on every rank, each rank its share of the batch.

Data parallelism in one line of maths: the loss of a batch of :math:`B` samples split
evenly over :math:`N` ranks is the mean of the ranks' mean losses, so its gradient is the
mean of the ranks' gradients,

.. math::

   \\nabla_w \\frac{1}{B}\\sum_{i=1}^{B} \\ell_i
   = \\frac{1}{N}\\sum_{r=1}^{N} \\nabla_w \\frac{1}{B/N}\\sum_{i \\in \\text{rank } r} \\ell_i .

So every rank computes its own gradient, an ``all_reduce`` averages them, and every
rank's optimiser takes the same step from the same weights: the weights stay identical
without ever being sent again.

How the averaging is organised (PyTorch's design, simplified):

* at construction rank 0's parameters and buffers are broadcast, so all ranks start equal;
* the parameters are grouped, last layer first, into *buckets* of about
  ``bucket_cap_mb`` megabytes, each one flat array;
* a post-accumulate-grad hook on every parameter (``register_post_accumulate_grad_hook``,
  run by the engine as soon as that parameter's last contribution is in ``.grad``, while
  the backward walk goes on to earlier layers) copies the gradient into its bucket; when a
  bucket is full its ``all_reduce`` starts at once (MPI ``Iallreduce``, non-blocking), so
  the last layers' messages travel while the first layers' gradients are computed;
* each hook also tests the reductions in flight (MPI progresses a non-blocking collective
  only inside MPI calls), and the last hook waits for all buckets and writes the averages
  into ``.grad``.
"""

from __future__ import annotations

import contextlib

import numpy as np

from abinitio import distributed as dist
from abinitio.autograd.grad_mode import is_grad_enabled
from abinitio.nn.modules.module import Module
from abinitio.tensor import Tensor


class _Bucket:
    """Parameters whose gradients travel in one message: a flat array and each one's slot."""

    def __init__(self, params: list) -> None:
        self.params = params
        sizes = [p.array.size for p in params]
        self.buffer = np.empty(sum(sizes), params[0].array.dtype)
        self.slots, start = {}, 0
        for p, size in zip(params, sizes):
            self.slots[id(p)] = self.buffer[start : start + size].reshape(p.shape)
            start += size
        self.pending = len(params)
        self.work = None


def _buckets(params: list, cap_bytes: int) -> list:
    """Consecutive parameters of one dtype, at most ``cap_bytes`` a bucket (one parameter
    larger than that gets a bucket of its own)."""
    buckets, current, size = [], [], 0
    for p in params:
        nbytes = p.array.nbytes
        if current and (size + nbytes > cap_bytes or p.array.dtype != current[0].array.dtype):
            buckets.append(_Bucket(current))
            current, size = [], 0
        current.append(p)
        size += nbytes
    if current:
        buckets.append(_Bucket(current))
    return buckets


class DistributedDataParallel(Module):
    """Wrap ``module`` so that every backward pass averages its gradients over all ranks.

    Args:
        module: the model; every rank builds the same architecture.
        device_ids, output_device, dim: ignored; accepted for compatibility (CPU only).
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics) to every
            rank at the start of each forward pass that records a graph, as PyTorch does.
        bucket_cap_mb: the size of one all-reduce message, in megabytes.
        find_unused_parameters: walk each output's graph to find parameters this forward
            did not use, and count them as done (their gradient is then the other ranks'
            average, or zero). Without it every parameter must get a gradient.

    Attributes:
        module: the wrapped model (``ddp.module``); ``state_dict()`` keys start with
            ``"module."`` as in PyTorch.

    Example:
        >>> from abinitio import nn
        >>> nn.parallel.DistributedDataParallel(nn.Linear(2, 1))
        Traceback (most recent call last):
        ...
        abinitio.distributed.process_group.DistributedError: DistributedDataParallel: \
the default process group is not set up; call \
abinitio.distributed.init_process_group('mpi') first

    See the article docs/articles/learning/many_processes.py.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None,
                 bucket_cap_mb: float = 25, find_unused_parameters: bool = False,
                 gradient_as_bucket_view: bool = False) -> None:  # fmt: skip
        super().__init__()
        if not dist.is_initialized():
            raise dist.DistributedError(
                "DistributedDataParallel: the default process group is not set up; call "
                "abinitio.distributed.init_process_group('mpi') first"
            )
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: expected an nn.Module, got {type(module).__name__}"
            )
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be > 0, got "
                             f"{bucket_cap_mb!r}")  # fmt: skip
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.require_backward_grad_sync = True
        self.world_size = dist.get_world_size()
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise ValueError("DistributedDataParallel: the module has no parameter that "
                             "requires a gradient")  # fmt: skip
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor, 0)  # every rank starts from rank 0's weights
        # gradients arrive last layer first, so the buckets are filled in that order
        self._buckets = _buckets(params[::-1], int(bucket_cap_mb * 2**20))
        self._bucket_of = {id(p): b for b in self._buckets for p in b.params}
        self._expected, self._ready = len(params), 0
        self._handles = [p.register_post_accumulate_grad_hook(self._hook) for p in params]

    # ---- forward ---------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._ready:
            raise RuntimeError(
                f"DistributedDataParallel: the previous backward pass gave gradients to only "
                f"{self._ready} of {self._expected} parameters, so their reduction never "
                "finished. Pass find_unused_parameters=True if some parameters are not "
                "used in every forward pass"
            )
        syncing = is_grad_enabled() and self.require_backward_grad_sync
        if syncing and self.broadcast_buffers and self.world_size > 1:
            for buffer in self.module.buffers():
                dist.broadcast(buffer, 0)
        output = self.module(*inputs, **kwargs)
        if syncing and self.find_unused_parameters:
            self._count_used(output)
        return output

    def _count_used(self, output) -> None:
        """Mark the parameters that ``output``'s graph does not reach as done."""
        outputs = output if isinstance(output, (tuple, list)) else [output]
        reached, stack = set(), [t for t in outputs if isinstance(t, Tensor)]
        seen = {id(t) for t in stack}
        while stack:
            node = stack.pop()
            if node._ctx is None:
                reached.add(id(node))
                continue
            for x in node._ctx.inputs:
                if isinstance(x, Tensor) and id(x) not in seen:
                    seen.add(id(x))
                    stack.append(x)
        for bucket in self._buckets:
            for p in bucket.params:
                if id(p) not in reached:
                    self._fill(bucket, p)

    # ---- backward --------------------------------------------------------------------
    def _hook(self, param) -> None:
        """``param.grad`` is final for this backward pass: put it in its bucket."""
        if not self.require_backward_grad_sync:
            return  # inside no_sync(): gradients accumulate locally
        self._fill(self._bucket_of[id(param)], param)
        if self._ready == self._expected:
            self._finish()

    def _fill(self, bucket: _Bucket, param) -> None:
        """Copy ``param.grad`` (zeros if it has none) into its slot; start the bucket's
        all-reduce when it is complete."""
        slot = bucket.slots[id(param)]
        if param.grad is None:
            slot[...] = 0
        else:
            slot[...] = param.grad.array
        bucket.pending -= 1
        self._ready += 1
        if bucket.pending == 0:
            bucket.work = dist.all_reduce(bucket.buffer, async_op=True)
        for other in self._buckets:
            if other.work is not None:
                other.work.is_completed()  # lets MPI move the messages in flight along

    def _finish(self) -> None:
        """Wait for every bucket, then make each ``.grad`` the ranks' average (a new
        array: the old one may still be read by the rest of the backward walk)."""
        for bucket in self._buckets:
            bucket.work.wait()
            bucket.buffer /= self.world_size
            for p in bucket.params:
                p.grad = Tensor._make(bucket.slots[id(p)].copy(), False, None)
            bucket.pending, bucket.work = len(bucket.params), None
        self._ready = 0

    @contextlib.contextmanager
    def no_sync(self):
        """Accumulate gradients locally (no communication) inside the block; the first
        backward after it averages everything accumulated."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self) -> str:
        sizes = [len(b.params) for b in self._buckets]
        return f"world_size={self.world_size}, buckets={sizes}"
