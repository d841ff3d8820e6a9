"""The process group and its collectives, on MPI through mpi4py.

``N`` processes started together (``mpiexec -n N python train.py``) form one *world*. Each
has a *rank* ``0 .. N-1``; a **collective** is a call every rank makes, in the same order,
that combines or copies arrays among them:

* ``all_reduce(t, SUM)``: every rank ends with ``t_0 + t_1 + ... + t_{N-1}``;
* ``broadcast(t, src)``: every rank ends with rank ``src``'s ``t``;
* ``barrier()``: no rank returns before all have arrived.

All of them work in place on a Tensor's array, as ``torch.distributed`` does.

A collective that one rank never joins (it died, or hangs) would wait for ever; here each
wait has a deadline (``init_process_group(timeout=...)``, 30 minutes by default as in
PyTorch). Past it the waiting rank raises :class:`DistributedError`, and an exception
that nobody catches on any rank aborts the whole job with a message naming the rank, so
a broken job fails instead of hanging.
"""

from __future__ import annotations

import datetime
import sys
import time
from enum import Enum

import numpy as np

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)


class DistributedError(RuntimeError):
    """A collective could not complete: a rank died or hangs, or the group is not set up.

    See the article docs/articles/learning/many_processes.py.
    """


class ReduceOp(Enum):
    """How ``all_reduce`` combines the ranks' arrays (``torch.distributed.ReduceOp``).

    ``AVG`` is ``SUM`` divided by the world size (MPI has no average of its own).

    See the article docs/articles/learning/many_processes.py.
    """

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


class _Group:
    """The one process group: the MPI communicator and the deadline of each wait."""

    comm = None
    timeout = DEFAULT_TIMEOUT.total_seconds()
    excepthook = None


_group = _Group()


def is_available() -> bool:
    """True when mpi4py can be imported (the ``distributed`` extra is installed)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_mpi_available() -> bool:
    return is_available()


def is_initialized() -> bool:
    """True between :func:`init_process_group` and :func:`destroy_process_group`."""
    return _group.comm is not None


def init_process_group(backend: str = "mpi", init_method=None, timeout=None,
                       world_size: int = -1, rank: int = -1) -> None:  # fmt: skip
    """Join the world of processes that ``mpiexec`` started (PyTorch's name).

    Args:
        backend: ``"mpi"``. ``"gloo"`` (PyTorch's CPU backend) is accepted and runs on MPI
            too, so PyTorch programs start unchanged, but their processes must be started
            by ``mpiexec``; ``"nccl"`` (GPUs) is refused.
        init_method: ignored; accepted for compatibility (MPI's launcher connects the ranks).
        timeout: the longest a collective waits for the other ranks: a
            ``datetime.timedelta`` or seconds (default 30 minutes).
        world_size, rank: if given, must agree with what ``mpiexec`` started.

    Example:
        >>> import abinitio.distributed as dist
        >>> dist.is_initialized()
        False

    See the article docs/articles/learning/many_processes.py.
    """
    if backend not in ("mpi", "gloo", None):
        raise ValueError(
            f"init_process_group: backend must be 'mpi' (abinitio runs on MPI through "
            f"mpi4py; 'gloo' is taken to mean it too), got {backend!r}"
        )
    if is_initialized():
        raise DistributedError("init_process_group: the default process group is already set up")
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise DistributedError(
            "init_process_group: mpi4py and an MPI library are needed; install the "
            f"'distributed' extra (pip install 'abinitio[distributed]'): {error}"
        ) from None
    comm = MPI.COMM_WORLD
    for name, given, actual in (("world_size", world_size, comm.Get_size()),
                                ("rank", rank, comm.Get_rank())):  # fmt: skip
        if given not in (-1, None) and given != actual:
            raise ValueError(
                f"init_process_group: {name}={given}, but mpiexec started this process "
                f"with {name} {actual}"
            )
    _group.comm = comm
    _group.timeout = _seconds(DEFAULT_TIMEOUT if timeout is None else timeout)
    _group.excepthook = sys.excepthook
    sys.excepthook = _abort_on_uncaught


def _seconds(timeout) -> float:
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(
            f"init_process_group: timeout must be a positive timedelta or number of seconds, "
            f"got {timeout!r}"
        )
    return float(timeout)


def _abort_on_uncaught(kind, error, trace) -> None:
    """An exception nobody caught on one rank: say which rank, then end every rank (the
    others would otherwise wait in their next collective)."""
    comm = _group.comm
    if comm is None or comm.Get_size() == 1:
        (_group.excepthook or sys.__excepthook__)(kind, error, trace)
        return
    who = f"abinitio.distributed: rank {comm.Get_rank()} of {comm.Get_size()}"
    if issubclass(kind, KeyboardInterrupt):  # the launcher's SIGINT: a rank ended early
        why = "was interrupted (the launcher stops every rank when one ends early)"
    else:
        why = f"failed with {kind.__name__}: {error}"
    sys.stderr.write(f"{who} {why}; aborting the job\n")
    sys.stderr.flush()
    (_group.excepthook or sys.__excepthook__)(kind, error, trace)
    sys.stderr.flush()
    time.sleep(0.5)  # let the launcher pass these lines on before Abort ends it
    comm.Abort(1)


def destroy_process_group(group=None) -> None:
    """Leave the process group (MPI itself is finalised when the process exits)."""
    if not is_initialized():
        raise DistributedError("destroy_process_group: no process group is set up")
    sys.excepthook = _group.excepthook or sys.__excepthook__
    _group.comm = None


def _comm(caller: str):
    if _group.comm is None:
        raise DistributedError(
            f"{caller}: the default process group is not set up; call "
            "abinitio.distributed.init_process_group('mpi') first"
        )
    return _group.comm


def get_rank(group=None) -> int:
    """This process's rank, 0 .. world_size - 1."""
    return _comm("get_rank").Get_rank()


def get_world_size(group=None) -> int:
    """The number of processes in the group."""
    return _comm("get_world_size").Get_size()


def get_backend(group=None) -> str:
    _comm("get_backend")
    return "mpi"


class Work:
    """A collective in flight (``async_op=True``); ``wait()`` completes it.

    See the article docs/articles/learning/many_processes.py.
    """

    def __init__(self, request, what: str, finish=None) -> None:
        self._request, self._what, self._finish = request, what, finish
        self._done = False

    def is_completed(self) -> bool:
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        """Block until the collective is done, or raise DistributedError past the deadline."""
        if self._done:
            return True
        deadline = _group.timeout if timeout is None else _seconds(timeout)
        started = time.monotonic()
        spins = 0
        while not self._request.Test():
            spins += 1
            waited = time.monotonic() - started
            if spins > 200:  # the other ranks are busy: stop spinning a whole core
                time.sleep(0.0002 if waited < 1 else 0.005)  # (and wake less after a second)
            if waited > deadline:
                comm = _group.comm
                raise DistributedError(
                    f"{self._what}: rank {comm.Get_rank()} of {comm.Get_size()} waited "
                    f"{deadline:g} s for the other ranks; one of them has died or hangs"
                )
        self._complete()
        return True

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()


_MPI_OPS = {ReduceOp.SUM: "SUM", ReduceOp.AVG: "SUM", ReduceOp.PRODUCT: "PROD",
            ReduceOp.MIN: "MIN", ReduceOp.MAX: "MAX"}  # fmt: skip


def _buffer(tensor, caller: str):
    """The tensor's array, contiguous (MPI reads and writes raw memory), and a function
    that copies a contiguous stand-in back when the array was not."""
    array = getattr(tensor, "array", tensor)
    if not isinstance(array, np.ndarray):
        kind = type(tensor).__name__
        raise TypeError(f"{caller}: expected a Tensor or a NumPy array, got {kind}")
    if array.flags.c_contiguous and array.flags.writeable:
        return array, None
    buffer = np.ascontiguousarray(array)

    def copy_back() -> None:
        array[...] = buffer

    return buffer, copy_back


def all_reduce(tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` over all ranks in place: afterwards every rank holds the result.

    With ``op=SUM`` rank ``r``'s tensor becomes :math:`\\sum_{k=0}^{N-1} t_k`; ``AVG``
    divides that by :math:`N`. Returns a :class:`Work` when ``async_op``, else None.

    See the article docs/articles/learning/many_processes.py.
    """
    comm = _comm("all_reduce")
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a ReduceOp (ReduceOp.SUM, ...), got {op!r}")
    buffer, copy_back = _buffer(tensor, "all_reduce")
    if op is ReduceOp.AVG and buffer.dtype.kind not in "fc":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating tensor, got {buffer.dtype}")
    from mpi4py import MPI

    request = comm.Iallreduce(MPI.IN_PLACE, buffer, op=getattr(MPI, _MPI_OPS[op]))
    size = comm.Get_size()

    def finish() -> None:
        if op is ReduceOp.AVG:
            np.divide(buffer, size, out=buffer, casting="unsafe")
        if copy_back is not None:
            copy_back()

    return _run(Work(request, "all_reduce", finish), async_op)


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``, in place.

    See the article docs/articles/learning/many_processes.py.
    """
    comm = _comm("broadcast")
    if not 0 <= src < comm.Get_size():
        raise ValueError(f"broadcast: src must be a rank in 0..{comm.Get_size() - 1}, got {src}")
    buffer, copy_back = _buffer(tensor, "broadcast")
    request = comm.Ibcast(buffer, root=src)
    return _run(Work(request, "broadcast", copy_back), async_op)


def all_gather(tensor_list: list, tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list[k]`` with rank ``k``'s ``tensor`` on every rank."""
    comm = _comm("all_gather")
    if len(tensor_list) != comm.Get_size():
        raise ValueError(
            f"all_gather: tensor_list needs one tensor per rank ({comm.Get_size()}), "
            f"got {len(tensor_list)}"
        )
    buffer, _ = _buffer(tensor, "all_gather")
    gathered = np.empty((comm.Get_size(), *buffer.shape), buffer.dtype)
    request = comm.Iallgather(buffer, gathered)

    def finish() -> None:
        for out, part in zip(tensor_list, gathered):
            getattr(out, "array", out)[...] = part

    return _run(Work(request, "all_gather", finish), async_op)


def barrier(group=None, async_op: bool = False):
    """Return only when every rank has called ``barrier``.

    See the article docs/articles/learning/many_processes.py.
    """
    request = _comm("barrier").Ibarrier()
    return _run(Work(request, "barrier"), async_op)


def broadcast_object_list(object_list: list, src: int = 0, group=None) -> None:
    """Replace ``object_list``'s items with rank ``src``'s (small Python values: a run
    directory, a seed). The values travel as JSON, never as pickles."""
    import json

    comm = _comm("broadcast_object_list")
    payload = json.dumps(object_list).encode() if comm.Get_rank() == src else b""
    size = np.array([len(payload)], np.int64)
    broadcast(size, src)
    buffer = np.frombuffer(payload, np.uint8).copy() if payload else np.empty(size[0], np.uint8)
    broadcast(buffer, src)
    object_list[:] = json.loads(buffer.tobytes().decode())


def _run(work: Work, async_op: bool):
    if async_op:
        return work
    work.wait()
    return None
