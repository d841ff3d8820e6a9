"""Kill a long-running ``abinitio`` command anywhere, resume it, and check nothing was lost.

    nice python scripts/kill_anywhere.py                        # train: 24 kills, seed 0
    nice python scripts/kill_anywhere.py --command rl --kills 12
    nice python scripts/kill_anywhere.py --command tune --kills 12 --seed 1

One harness, three commands, each described by a :class:`Command`: the argv of a fresh
start and of a resume, the files it writes, and how two versions of each are compared.

* ``train``: ``abinitio train`` (the moons MLP with dropout), resumed with ``--resume``.
* ``rl``: ``abinitio rl train --algo ppo --env CartPole-v1`` (2,048 steps, 2 copies),
  resumed with ``--resume RUN_DIR``.
* ``tune``: ``abinitio tune --dataset moons`` (a stored SQLite study of 6 trials of 3
  epochs, then the best retrained), resumed by running the same command again.

First an uninterrupted run (the reference) records every version of every file it writes.
Then the same run is started in a fresh directory and SIGKILLed again and again: at random
times, inside an optimiser step, inside each window of each file write (the temporary file
half written, fully written but not yet renamed, just renamed but the directory not yet
synced) and, for ``tune``, just before and just after each write to the study's database.
After each kill it checks the run directory: every file present must be complete (for
``train`` and ``rl`` one of the versions the reference wrote: tensors bit for bit, JSON
and TOML as parsed values without wall-clock times; for ``tune``, whose sampler draws
differently once a study is resumed, readable and whole, the SQLite file passing
``PRAGMA integrity_check`` and loading as an Optuna study). Then it continues the run.
At the end ``train``'s and ``rl``'s final files must be bit-identical to the reference's,
and ``tune``'s study must hold exactly the requested number of finished trials, each
counted once, with ``study.json``, ``report.html`` and the best trial's run directory
complete; no temporary file may be left anywhere.

To land kills inside the windows, the harness runs the command through this file's
``--child`` mode, which wraps ``serialization.write_atomically``, ``os.replace``,
``Optimizer.step`` and Optuna's ``RDBStorage`` writes in the child process only: each
announces itself on stderr (``@@ write-temp checkpoint.safetensors``), and the one window
the next kill aims at (``KILL_ANYWHERE_ARM``) is held open for ``--window`` seconds so
that the kill lands there. For ``rl`` the child also checkpoints after every update
instead of every 60 s (``Agent.learn(checkpoint_every=0)``), so that kills find
checkpoints to resume from; the code under test is otherwise the shipped one.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

WINDOWS = ("write-partial", "write-temp", "rename-after")
STORAGE_WRITES = ("_create_new_trial", "_set_trial_param", "set_trial_intermediate_value",
                  "set_trial_user_attr", "set_trial_state_values")  # fmt: skip


# ---- the commands --------------------------------------------------------------------
@dataclass
class Command:
    """What the harness needs to know about one command.

    ``fresh(run_dir, size)`` and ``resume(run_dir, size)`` are argv lists (``size``:
    epochs, steps or trials); ``started(run_dir)``
    says whether a kill left something to resume (otherwise the next run starts fresh);
    ``files`` are glob patterns (relative to the run directory) of what it writes, and
    ``windows`` the file names whose write windows are aimed at (``fresh_only``: only a
    fresh start writes them). ``same_versions``: each file present after a kill must be a
    version the reference wrote; ``identical``: at the end these must equal the
    reference's last version. ``final_check(run_dir, size)`` returns more problems."""

    name: str
    fresh: object
    resume: object
    started: object
    files: tuple
    windows: tuple
    size: int
    fresh_only: tuple = ()
    same_versions: bool = True
    identical: tuple = ()
    storage: bool = False  # Optuna's database writes are kill points too
    env: dict = field(default_factory=dict)
    final_check: object = None
    notes: object = None  # notes(run_dir) -> dict, figures for the summary


def _train_fresh(run_dir: str, epochs: int) -> list:
    return ["train", "--dataset", "moons", "--model", "mlp", "--epochs", str(epochs),
            "--dropout", "0.1", "--seed", "0", "--no-progress", "--out", run_dir]  # fmt: skip


RL_OPTIONS = ["--no-render", "--no-progress", "--eval-episodes", "5"]


def _rl_fresh(run_dir: str, steps: int) -> list:
    return ["rl", "train", "--algo", "ppo", "--env", "CartPole-v1", "--steps", str(steps),
            "--num-envs", "2", "--seed", "0", "--out", run_dir, *RL_OPTIONS]  # fmt: skip


def _tune_args(run_dir: str, trials: int = 6) -> list:
    return ["tune", "--dataset", "moons", "--model", "mlp", "--trials", str(trials),
            "--epochs", "3", "--seed", "0", "--study", "kill", "--out", run_dir]  # fmt: skip


def _tune_check(run_dir: str, trials: int) -> list:
    """The finished study: exactly ``trials`` finished trials, each once, and the files
    that describe it complete and in agreement with the storage."""
    import optuna

    problems = []
    study = optuna.load_study(study_name="kill", storage=f"sqlite:///{run_dir}/study.db")
    states = [t.state.name for t in study.trials]
    finished = [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    if len(finished) != trials:
        problems.append(f"the study holds {len(finished)} finished trials, not {trials}")
    numbers = [t.number for t in study.trials]
    if len(set(numbers)) != len(numbers):
        problems.append(f"trial numbers repeat: {numbers}")
    with open(os.path.join(run_dir, "study.json"), encoding="utf-8") as file:
        payload = json.load(file)
    counts = payload["counts"]
    if counts["complete"] + counts["pruned"] != trials or len(payload["trials"]) != len(states):
        problems.append(f"study.json disagrees with the storage: {counts}, {states}")
    best = study.best_trial.number
    if payload["best"]["number"] != best:
        problems.append(f"study.json's best trial {payload['best']['number']} is not {best}")
    best_dir = os.path.join(run_dir, f"best-trial-{best}")
    for name in ("config.toml", "checkpoint.safetensors", "model.safetensors",
                 "metrics.json", "report.html"):  # fmt: skip
        path = os.path.join(best_dir, name)
        if not os.path.exists(path):
            problems.append(f"best-trial-{best}/{name} is missing")
            continue
        describe(path, name)
    left = [t.number for t in study.trials
            if t.state.name == "RUNNING" and "worker" in t.user_attrs]  # fmt: skip
    if left:
        problems.append(f"trials {left} of killed processes are still marked running: {states}")
    return problems


def _tune_notes(run_dir: str) -> dict:
    """What the kills left in the study: failed trials (interrupted while they ran) and
    trials still marked running because the kill came before their first record."""
    import optuna

    study = optuna.load_study(study_name="kill", storage=f"sqlite:///{run_dir}/study.db")
    states = [t.state.name.lower() for t in study.trials]
    return {"trials stored": len(states),
            **{state: states.count(state) for state in sorted(set(states))}}  # fmt: skip


COMMANDS = {
    "train": Command(
        "train", _train_fresh, lambda d, size: ["train", "--resume", d, "--no-progress"],
        lambda d: os.path.exists(os.path.join(d, "config.toml")),
        files=("config.toml", "checkpoint.safetensors", "metrics.json", "model.safetensors",
               "report.html"),
        windows=("config.toml", "checkpoint.safetensors", "metrics.json",
                 "model.safetensors", "report.html"),
        size=20, fresh_only=("config.toml",),
        identical=("model.safetensors", "checkpoint.safetensors", "metrics.json")),
    "rl": Command(
        "rl", _rl_fresh, lambda d, size: ["rl", "train", "--resume", d, *RL_OPTIONS],
        lambda d: os.path.exists(os.path.join(d, "checkpoint.safetensors")),
        files=("checkpoint.safetensors", "metrics.json", "report.html"),
        windows=("checkpoint.safetensors", "metrics.json", "report.html"),
        size=2048, identical=("checkpoint.safetensors", "metrics.json"),
        env={"KILL_ANYWHERE_CHECKPOINT_EVERY": "0"}),
    "tune": Command(
        "tune", _tune_args, _tune_args, lambda d: True,
        files=("study.db", "study.json", "report.html", "best-trial-*/config.toml",
               "best-trial-*/checkpoint.safetensors", "best-trial-*/metrics.json",
               "best-trial-*/model.safetensors", "best-trial-*/report.html"),
        windows=("checkpoint.safetensors", "model.safetensors", "metrics.json", "report.html",
                 "study.json"),  # in the order a run writes them
        size=6, same_versions=False, storage=True, final_check=_tune_check,
        notes=_tune_notes),
}  # fmt: skip


# ---- the child: the command with announcing, slowed writes ---------------------------------
def child(argv: list) -> int:
    """Run ``abinitio`` with hooks that announce steps and write windows on stderr."""
    import abinitio.cli.report  # noqa: F401 - import every module that writes, to patch them
    import abinitio.cli.rl
    import abinitio.cli.train
    import abinitio.cli.tune
    import abinitio.viz.report
    from abinitio import serialization
    from abinitio.cli import main
    from abinitio.optim.optimizer import Optimizer

    window = float(os.environ.get("KILL_ANYWHERE_WINDOW", "0"))
    armed = os.environ.get("KILL_ANYWHERE_ARM", "")  # the one window held open
    pause_at = int(os.environ.get("KILL_ANYWHERE_STEP", "0"))  # hold this step open
    snapshots = os.environ.get("KILL_ANYWHERE_SNAPSHOTS")
    original_write, original_replace = serialization.write_atomically, os.replace
    steps = [0]

    def say(event: str) -> None:
        os.write(2, f"@@ {event}\n".encode())
        if event == armed:
            time.sleep(window)

    def slow_write(path, write, op="save"):
        name = os.path.basename(os.fsdecode(path))

        def write_slowly(temporary):
            write(temporary)
            if armed == f"write-partial {name}":  # rewrite it in two halves, pausing between
                with open(temporary, "rb") as file:
                    data = file.read()
                with open(temporary, "wb") as file:
                    file.write(data[: len(data) // 2])
                    file.flush()
                    say(f"write-partial {name}")
                    file.write(data[len(data) // 2 :])
            say(f"write-temp {name}")

        original_write(path, write_slowly, op)
        say(f"written {name}")
        if snapshots:  # the reference run keeps every version of every file
            count = len([f for f in os.listdir(snapshots) if f.startswith(name + ".")])
            shutil.copyfile(path, os.path.join(snapshots, f"{name}.{count}"))

    def slow_replace(source, destination):
        original_replace(source, destination)
        say(f"rename-after {os.path.basename(os.fsdecode(destination))}")

    def announcing(step):
        def announced_step(self, *args, **kwargs):
            steps[0] += 1
            say(f"step {steps[0]}")
            if steps[0] == pause_at:  # gradients computed, parameters not yet updated
                os.write(2, f"@@ inside step {steps[0]}\n".encode())
                time.sleep(window)
            return step(self, *args, **kwargs)

        return announced_step

    for module in list(sys.modules.values()):
        if getattr(module, "write_atomically", None) is original_write:
            module.write_atomically = slow_write
    serialization.os.replace = slow_replace  # the os module itself: this process only
    classes, seen = [Optimizer], set()
    while classes:  # every optimiser class that defines its own step
        cls = classes.pop()
        if cls not in seen:
            seen.add(cls)
            classes += cls.__subclasses__()
            if "step" in vars(cls):
                cls.step = announcing(vars(cls)["step"])
    every = os.environ.get("KILL_ANYWHERE_CHECKPOINT_EVERY")
    if every is not None:  # rl: checkpoint after every update, not every 60 s
        from abinitio.rl.agent import Agent

        learn = Agent.learn

        def learn_checkpointing(self, total_steps, callback=None, checkpoint_dir=None,
                                checkpoint_every=60.0):  # fmt: skip
            return learn(self, total_steps, callback, checkpoint_dir, float(every))

        Agent.learn = learn_checkpointing
    if argv[:1] == ["tune"]:
        _announce_storage_writes(say)
    say("start")
    return main(argv)


def _announce_storage_writes(say) -> None:
    """Optuna's SQLite writes (one transaction each) announce themselves before and after."""
    from optuna.storages import RDBStorage

    for name in STORAGE_WRITES:
        original = getattr(RDBStorage, name)

        def announced(self, *args, _original=original, _name=name, **kwargs):
            say(f"storage-before {_name}")
            result = _original(self, *args, **kwargs)
            say(f"storage-after {_name}")
            return result

        setattr(RDBStorage, name, announced)


# ---- the harness ---------------------------------------------------------------------
class Child:
    """A child process and the events it has announced so far."""

    def __init__(self, argv: list, env: dict) -> None:
        command = [sys.executable, os.path.abspath(__file__), "--child", *argv]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, env=env)  # fmt: skip
        self.events, self.other = [], []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.changed:
                if line.startswith("@@ "):
                    self.events.append(line[3:])
                else:
                    self.other.append(line)
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, predicate, timeout: float):
        """The first event (from the start) matching ``predicate``, or None if the child
        ends or ``timeout`` passes first."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.changed:
            while True:
                for event in self.events[seen:]:
                    if predicate(event):
                        return event
                seen = len(self.events)
                if self.process.poll() is not None or time.monotonic() > deadline:
                    return None
                self.changed.wait(0.05)

    def kill(self) -> str:
        """SIGKILL; returns the last event announced before it (where the kill landed)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        with self.changed:
            return self.events[-1] if self.events else "(before start)"


def environment(window: float, snapshots: str | None = None, step: int = 0, armed: str = "",
                command: Command | None = None) -> dict:  # fmt: skip
    env = dict(os.environ, KILL_ANYWHERE_WINDOW=str(window), PYTHONUNBUFFERED="1",
               KILL_ANYWHERE_STEP=str(step), KILL_ANYWHERE_ARM=armed)  # fmt: skip
    env.pop("KILL_ANYWHERE_SNAPSHOTS", None)
    env.pop("KILL_ANYWHERE_CHECKPOINT_EVERY", None)
    if command is not None:
        env.update(command.env)
    if snapshots:
        env["KILL_ANYWHERE_SNAPSHOTS"] = snapshots
    return env


def reference_run(command: Command, folder: str, size: int) -> dict:
    """The uninterrupted run, with every version of every file it wrote."""
    run_dir, snapshots = os.path.join(folder, "reference"), os.path.join(folder, "versions")
    os.makedirs(snapshots)
    started = time.monotonic()
    env = environment(0.0, snapshots, command=command)
    child_process = Child(command.fresh(run_dir, size), env)
    if child_process.process.wait() != 0:
        raise SystemExit("the reference run failed:\n" + "\n".join(child_process.other))
    versions = {}

    def order(entry):  # "metrics.json.12" -> ("metrics.json", 12)
        name, count = entry.rsplit(".", 1)
        return name, int(count)

    for entry in sorted(os.listdir(snapshots), key=order):
        name = entry.rsplit(".", 1)[0]
        content = describe(os.path.join(snapshots, entry), name)
        versions.setdefault(name, []).append(content)
    steps = sum(1 for event in child_process.events if event.startswith("step "))
    seen = {e for e in child_process.events}
    return {"dir": run_dir, "versions": versions, "steps": steps, "size": size,
            "events": seen, "seconds": time.monotonic() - started}  # fmt: skip


def describe(path: str, name: str):
    """A file's content in a form two complete versions can be compared by: tensors as
    bytes, JSON and TOML as values without wall-clock times. Raises if it is unreadable."""
    import abinitio as ab
    from abinitio.cli.options import read_toml

    if name.endswith(".safetensors"):
        return flatten(ab.load(path))
    if name.endswith(".json"):
        with open(path, encoding="utf-8") as file:
            return without_times(json.load(file))
    if name == "config.toml":
        values = read_toml(path)
        values.pop("out")
        return values
    if name == "report.html":
        with open(path, encoding="utf-8") as file:
            text = file.read()
        if not text.rstrip().endswith("</html>"):
            raise ValueError("report.html does not end with </html>")
        return "complete html"
    if name.endswith(".db"):
        return describe_study(path)
    raise ValueError(f"unexpected file {name}")


def describe_study(path: str) -> str:
    """An Optuna SQLite study: the database intact, the study loadable, trial numbers
    unique. (Opening it rolls back a transaction a kill cut short, as the next run would.)"""
    import optuna

    connection = sqlite3.connect(path)
    try:
        (verdict,) = connection.execute("PRAGMA integrity_check").fetchone()
    finally:
        connection.close()
    if verdict != "ok":
        raise ValueError(f"PRAGMA integrity_check: {verdict}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    summaries = optuna.get_all_study_summaries(storage=f"sqlite:///{path}")
    for summary in summaries:
        study = optuna.load_study(study_name=summary.study_name, storage=f"sqlite:///{path}")
        numbers = [t.number for t in study.trials]
        if numbers != list(range(len(numbers))):
            raise ValueError(f"study {summary.study_name!r} has trial numbers {numbers}")
    return "intact study"


def flatten(obj, prefix="") -> dict:
    """Nested checkpoint -> {path: bytes or value}, the history without times."""
    import numpy as np

    from abinitio.tensor import Tensor

    if isinstance(obj, dict):
        if prefix == "history.":
            return {"history": without_times(obj)}
        out = {}
        for key, value in obj.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    if prefix == "history.":
        return {"history": without_times(obj)}
    if isinstance(obj, (list, tuple)):
        out = {}
        for i, value in enumerate(obj):
            out.update(flatten(value, f"{prefix}{i}."))
        return out
    if isinstance(obj, Tensor):
        array = obj.numpy()
        return {prefix: (str(array.dtype), array.shape, array.tobytes())}
    if isinstance(obj, np.generic):
        return {prefix: (str(obj.dtype), obj.tobytes())}
    return {prefix: repr(obj)}


def without_times(value):
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def check_run_dir(run_dir: str, reference: dict, command: Command | None = None) -> list:
    """Problems with the files in ``run_dir``: each must be complete and (where the
    command's versions are comparable) one version the reference run wrote, or absent."""
    command = command or COMMANDS["train"]
    problems = []
    for pattern in command.files:
        for path in sorted(glob.glob(os.path.join(run_dir, pattern))):
            name = os.path.relpath(path, run_dir)
            try:
                content = describe(path, os.path.basename(path))
            except Exception as error:  # noqa: BLE001 - unreadable is exactly what we look for
                problems.append(f"{name} is unreadable: {type(error).__name__}: {error}"[:300])
                continue
            if (command.same_versions and name != "report.html"
                    and content not in reference["versions"].get(name, [])):  # fmt: skip
                problems.append(f"{name} is readable but matches no version the reference wrote")
    return problems


def leftovers(run_dir: str) -> list:
    """Temporary files that writes cut short left anywhere under ``run_dir``."""
    from abinitio.serialization import temporaries

    found = []
    for folder, _, _ in os.walk(run_dir):
        found += [os.path.relpath(p, run_dir) for p in temporaries(folder)]
    return found


def kill_kinds(command: Command) -> list:
    """Every kind of kill for ``command``: each write window of each file it writes, a
    random moment, inside a step and (tune) around each database write."""
    kinds = [f"{w} {n}" for n in command.windows for w in WINDOWS]
    if not command.storage:
        return kinds[:3] + ["random", "step"] + kinds[3:]
    # tune: in the order a run meets them (trials, then the retraining, then the study's
    # files), so that each kill moves the study on instead of waiting for a fresh one
    storage = [f"storage-{when} {name}" for name in STORAGE_WRITES for when in ("before", "after")]
    first = [k for k in storage if "param" not in k and "user_attr" not in k]
    files = [f"{w} {n}" for w, n in zip(("write-temp", "write-partial", "rename-after",
                                         "write-partial", "write-temp"), command.windows)]  # fmt: skip
    rest = [k for k in storage + kinds if k not in first + files]
    return ["step", *first, "random", *files, *rest]


def pick_kill(rng: random.Random, reference: dict, kill_index: int, fresh: bool, plan=None,
              command: Command | None = None) -> tuple:  # fmt: skip
    """(kind, target) for the next kill: a random moment, a step (target: its number in
    this process), or a window. The first kills go through every kind in turn (or through
    ``plan``), then at random; only a fresh start writes the ``fresh_only`` files."""
    command = command or COMMANDS["train"]
    kinds = [k for k in kill_kinds(command) if k in ("random", "step")
             or k.replace("write-partial", "write-temp") in reference["events"]]  # fmt: skip
    order = plan or kinds
    kind = order[kill_index] if kill_index < len(order) else rng.choice(kinds)
    while not fresh and kind.split(" ")[-1] in command.fresh_only:
        kind = rng.choice(kinds)
    if kind == "step":  # within the first sixth of the run's steps, so that it comes
        return kind, rng.randrange(1, max(2, reference["steps"] // 6 + 1))
    return kind, None


def run(kills: int, seed: int, size: int | None, window: float, folder: str, log=print,
        plan=None, command: str | Command = "train") -> dict:  # fmt: skip
    """Kill a run ``kills`` times, resuming each time; the figures and any problems."""
    command = COMMANDS[command] if isinstance(command, str) else command
    size = size or command.size
    rng = random.Random(seed)
    if not command.same_versions and plan and not {"random", "step"} & set(plan):
        # nothing to compare with, no step count or duration needed: no reference run
        reference = {"versions": {}, "steps": 0, "events": set(), "seconds": 0.0}
    else:
        reference = reference_run(command, folder, size)
    log(f"reference run: {reference['steps']} steps, {reference['seconds']:.1f} s, "
        f"{sum(map(len, reference['versions'].values()))} file versions")  # fmt: skip
    run_dir = os.path.join(folder, "killed")
    landed, problems, attempts, restarts, resumes, failures = [], [], 0, 0, 0, 0
    while len(landed) < kills and failures < 3 and attempts < 5 * kills:
        attempts += 1
        fresh = not (os.path.isdir(run_dir) and command.started(run_dir))
        argv = command.fresh(run_dir, size) if fresh else command.resume(run_dir, size)
        restarts, resumes = restarts + fresh, resumes + (not fresh)
        kind, target = pick_kill(rng, reference, len(landed), fresh, plan, command)
        if kind == "step":  # the child holds step `target` open for the kill
            process = Child(argv, environment(window, step=target, command=command))
            predicate = lambda event: event == f"inside step {target}"  # noqa: E731
        elif kind == "random":
            process, predicate = Child(argv, environment(0.0, command=command)), None
        else:
            process = Child(argv, environment(window, armed=kind, command=command))
            predicate = lambda event: event == kind  # noqa: E731
        if predicate is None:
            process.wait_for(lambda event: event == "start", 120)
            time.sleep(rng.uniform(0, reference["seconds"]))
            hit = process.process.poll() is None
        else:
            hit = process.wait_for(predicate, 300) is not None
            time.sleep(rng.uniform(0, window / 2))  # somewhere inside the window
        if not hit or process.process.poll() is not None:
            code = process.process.wait()
            if code != 0:
                failures += 1
                problems.append(f"attempt {attempts} ({kind}) exited {code}: "
                                + " | ".join(process.other[-3:]))  # fmt: skip
            if code == 0:  # finished before the kill: start over in a new directory
                shutil.rmtree(run_dir)
            log(f"attempt {attempts}: {kind}: the run ended first (exit {code})")
            continue
        where = process.kill()
        failures = 0
        found = check_run_dir(run_dir, reference, command)
        problems += [f"after kill {len(landed) + 1} ({kind}, at {where}): {p}" for p in found]
        landed.append({"kind": kind, "at": where, "problems": found})
        log(f"kill {len(landed):>2}: {kind:<36} landed at: {where:<36} "
            f"{'OK' if not found else found}")  # fmt: skip
    fresh = not (os.path.isdir(run_dir) and command.started(run_dir))
    argv = command.fresh(run_dir, size) if fresh else command.resume(run_dir, size)
    finish = Child(argv, environment(0.0, command=command))
    if finish.process.wait() != 0:
        problems.append("the final run failed: " + " | ".join(finish.other[-5:]))
    for name in command.identical:
        content = describe(os.path.join(run_dir, name), name)
        if content != reference["versions"][name][-1]:
            problems.append(f"the finished run's {name} differs from the uninterrupted run's")
    if command.final_check is not None and finish.process.returncode == 0:
        problems += [f"the finished run: {p}" for p in command.final_check(run_dir, size)]
    notes = command.notes(run_dir) if command.notes and finish.process.returncode == 0 else {}
    for name in leftovers(run_dir):
        problems.append(f"a temporary file was left behind: {name}")
    return {"command": command.name, "kills": len(landed), "attempts": attempts,
            "fresh starts": restarts, "resumes": resumes + (not fresh),
            "kinds": sorted({k["kind"] for k in landed}),
            "corrupted run directories": sum(bool(k["problems"]) for k in landed),
            "final files bit-identical": bool(command.identical) and not any(
                "differs from the uninterrupted" in p for p in problems),
            "leftover temporary files": leftovers(run_dir), **notes,
            "problems": problems}  # fmt: skip


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--command", choices=sorted(COMMANDS), default="train")
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, help="epochs (train), environment steps (rl) or "
                        "trials (tune); default 20, 2048, 6")  # fmt: skip
    parser.add_argument("--epochs", type=int, help="the same as --size (train)")
    parser.add_argument("--window", type=float, default=0.3,
                        help="seconds the aimed-at window is held open (in the child only)")
    parser.add_argument("--keep", help="keep the run directories in this folder")
    parser.add_argument("--plan", help="the first kills' kinds, comma-separated (see "
                        "kill_kinds); without random and step, tune needs no reference run")  # fmt: skip
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="kill-anywhere-")
    os.makedirs(folder, exist_ok=True)
    started = time.monotonic()
    plan = args.plan.split(",") if args.plan else None
    result = run(args.kills, args.seed, args.size or args.epochs, args.window, folder,
                 plan=plan, command=args.command)  # fmt: skip
    result["seconds"] = round(time.monotonic() - started)
    print(json.dumps(result, indent=2))
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
