"""``abinitio train --distributed``: the same run on ``N`` processes started by ``mpiexec``.

    mpiexec -n 2 abinitio train --distributed --dataset digits --model mlp
    python -m abinitio.distributed.launch -n 2 abinitio train --distributed ...  # one machine

Every rank builds the same model (rank 0's weights are broadcast), reads its share of
each epoch through a :class:`~abinitio.data.DistributedSampler` and averages gradients
with :class:`~abinitio.nn.parallel.DistributedDataParallel`. ``--batch-size`` is the
**global** batch: each rank takes ``batch_size / N`` samples a step, so a run on ``N``
ranks takes the same steps as on one (up to rounding). Rank 0 alone prints, writes the
run directory and the checkpoint (atomically, after every epoch) and evaluates at the end;
``--resume RUN_DIR --distributed`` continues on any number of ranks, every rank reading
the checkpoint (on many machines the run directory must be on a shared file system).
The checkpoint and ``model.safetensors`` are those of a one-process run, so either kind
of run can continue the other.

Every BatchNorm becomes a :class:`~abinitio.nn.SyncBatchNorm`, so the statistics are
those of the global batch, as in a one-process run; rank 0's buffers are copied to every
rank at the end of each epoch all the same.
"""

from __future__ import annotations

import os

import abinitio as ab
from abinitio import distributed as dist
from abinitio import nn
from abinitio.cli import registry
from abinitio.cli.options import UsageError
from abinitio.data import DataLoader, DistributedSampler
from abinitio.serialization import save
from abinitio.training import Callback, Trainer


class RankTrainer(Trainer):
    """A Trainer whose checkpoints only rank 0 writes; every rank can resume from one."""

    def __init__(self, *args, writes_checkpoints: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.writes_checkpoints = writes_checkpoints

    def _run_epoch(self, epoch, train_loader, val_loader) -> None:
        if self.writes_checkpoints:
            return super()._run_epoch(epoch, train_loader, val_loader)
        directory, self.checkpoint_dir = self.checkpoint_dir, None
        try:
            return super()._run_epoch(epoch, train_loader, val_loader)
        finally:
            self.checkpoint_dir = directory


class SyncRanks(Callback):
    """Each epoch: give the sampler its epoch (a new shared order); at the end, average the
    ranks' training metrics (equal sample counts, so the mean of means is the global mean)
    and copy rank 0's buffers (BatchNorm running statistics) to every rank."""

    def __init__(self, sampler: DistributedSampler, model) -> None:
        self.sampler, self.model = sampler, model

    def on_epoch_start(self, trainer, epoch: int) -> None:
        self.sampler.set_epoch(epoch)

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        names = sorted(k for k in logs if k.startswith("train_"))
        values = ab.tensor([float(logs[k]) for k in names], dtype=ab.float64)
        dist.all_reduce(values, dist.ReduceOp.AVG)
        logs.update(zip(names, values.tolist()))
        for buffer in self.model.buffers():
            dist.broadcast(buffer, 0)


def train_distributed(config, run_dir=None, resume: bool = False, progress: bool = True,
                      log=print) -> dict:  # fmt: skip
    """:func:`abinitio.cli.train.train` on every rank of the MPI world."""
    from abinitio.cli import train as single

    if registry.dataset_name(config.dataset) == "text" or _has_own_loop(config):
        raise UsageError(
            "--distributed trains the built-in classification sets (digits, mnist1d, "
            f"moons, mnist:DIR, ...) and CSV/image-folder data is not supported yet; "
            f"got --dataset {config.dataset}"
        )
    owns_group = not dist.is_initialized()
    if owns_group:
        dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if config.batch_size % world:
        raise UsageError(
            f"--batch-size {config.batch_size} is the global batch and must divide among "
            f"{world} ranks; choose a multiple of {world}"
        )
    lead = rank == 0
    log = log if lead else None
    data = registry.load_dataset(config.dataset)
    ab.manual_seed(config.seed)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(registry.build_model(config, data))
    optimizer = registry.build_optimizer(config, model)
    if config.init_from or config.freeze or config.lr_backbone:
        from abinitio.cli.finetune import init_from

        optimizer = init_from(config, model, log or (lambda message: None))
    # broadcasts rank 0's weights; its gradient hooks average every backward pass
    synced = nn.parallel.DistributedDataParallel(model)
    shared = [run_dir or config.out or single.default_run_dir(config), resume, None]
    if lead:
        shared = _prepare_run_dir(*shared[:2], config, log)
    dist.broadcast_object_list(shared, 0)
    run_dir, resume, problem = shared
    if problem:
        raise UsageError(problem)
    train_loader, val_loader, test_loader = single.loaders(data, config)
    sampler = DistributedSampler(train_loader.dataset, world, rank,
                                 shuffle=bool(config.shuffle), seed=config.seed)  # fmt: skip
    train_loader = DataLoader(train_loader.dataset, batch_size=config.batch_size // world,
                              sampler=sampler)  # fmt: skip
    callbacks = [SyncRanks(sampler, synced.module)]
    if lead:
        callbacks.append(single.MetricsWriter(run_dir))
    if lead:
        log(f"run directory: {run_dir}")
        log(f"{world} ranks, {config.batch_size // world} samples each per step")
        nn.summary(model, (1, *data.input_shape), print_fn=log)
    trainer = RankTrainer(model, optimizer, nn.CrossEntropyLoss(), callbacks=callbacks,
                          grad_clip_norm=config.grad_clip, checkpoint_dir=run_dir,
                          progress=progress and lead, log=log,
                          writes_checkpoints=lead)  # fmt: skip
    history = trainer.fit(train_loader, val_loader, epochs=config.epochs, resume=resume)
    dist.barrier()  # every rank has trained; what follows runs on rank 0 alone, so the
    synced.require_backward_grad_sync = False  # report's gradient-flow pass must not wait
    if owns_group:  # for the other ranks (SyncBatchNorm is plain BatchNorm without a group)
        dist.destroy_process_group()
    results = {}
    if lead:
        save(model.state_dict(), os.path.join(run_dir, single.MODEL_NAME))
        results = single.finish_run(run_dir, config, data, trainer, test_loader, history)
        log(single.results_table(results))
    return results


def _has_own_loop(config) -> bool:
    from abinitio.cli import graph as graph_cli
    from abinitio.cli import tabular as own_data

    return graph_cli.handles(config.dataset) or own_data.handles(config.dataset)


def _prepare_run_dir(run_dir: str, resume: bool, config, log) -> list:
    """Rank 0 creates (or readies, for resume) the run directory; what every rank needs
    to know comes back: the directory, whether a checkpoint exists, and any problem."""
    from abinitio.cli import train as single

    try:
        if resume:
            resume = single.continue_from(run_dir, log)
        else:
            single._create_run_dir(run_dir, config)
    except UsageError as error:
        return [run_dir, resume, str(error)]
    return [run_dir, resume, None]
