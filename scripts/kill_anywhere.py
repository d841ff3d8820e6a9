"""Kill ``abinitio train`` anywhere, resume it, and check nothing was lost or corrupted.

    nice python scripts/kill_anywhere.py                  # 24 kills, seed 0
    nice python scripts/kill_anywhere.py --kills 40 --seed 1 --epochs 30

First an uninterrupted run (the reference) records every version of every file it writes.
Then the same run is started in a fresh directory and SIGKILLed again and again: at random
times, inside a training step, and inside each window of each file write (the temporary
file half written, fully written but not yet renamed, just renamed but the directory not
yet synced) for ``config.toml``, ``checkpoint.safetensors``, ``metrics.json``,
``model.safetensors`` and ``report.html``. After each kill it checks the run directory:
every file present must be a complete version the reference wrote (checkpoints and
weights bit for bit, metrics and config as parsed values), never a torn one. Then it
continues the run with ``abinitio train --resume`` (or starts it again when the kill came
before ``config.toml`` existed). At the end the resumed run's weights, optimiser state
and history must be bit-identical to the reference's.

To land kills inside the write windows, the harness runs the command through this file's
``--child`` mode, which wraps ``serialization.write_atomically``, ``os.replace`` and
``Optimizer.step`` in the child process only: each announces itself on stderr
(``@@ write-temp checkpoint.safetensors``) and, in the write windows and in one chosen
step (after backward, before the update), sleeps ``--window`` seconds so that the kill
lands there. Normal runs have no such hook; the
code under test is the shipped one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

FILES = ("config.toml", "checkpoint.safetensors", "metrics.json", "model.safetensors",
         "report.html")  # fmt: skip
WINDOWS = ("write-partial", "write-temp", "rename-after")


# ---- the child: abinitio train with announcing, slowed writes -----------------------------
def child(argv: list) -> int:
    """Run ``abinitio`` with hooks that announce steps and write windows on stderr."""
    import abinitio.cli.report  # noqa: F401 - import every module that writes, to patch them
    import abinitio.cli.train
    import abinitio.viz.report
    from abinitio import serialization
    from abinitio.cli import main
    from abinitio.optim.optimizer import Optimizer

    window = float(os.environ.get("KILL_ANYWHERE_WINDOW", "0"))
    pause_at = int(os.environ.get("KILL_ANYWHERE_STEP", "0"))  # hold this step open
    snapshots = os.environ.get("KILL_ANYWHERE_SNAPSHOTS")
    original_write, original_replace = serialization.write_atomically, os.replace
    steps = [0]

    def say(event: str) -> None:
        os.write(2, f"@@ {event}\n".encode())

    def slow_write(path, write, op="save"):
        name = os.path.basename(os.fsdecode(path))

        def write_slowly(temporary):
            write(temporary)
            if window:  # rewrite the temporary file in two halves, pausing between them
                with open(temporary, "rb") as file:
                    data = file.read()
                with open(temporary, "wb") as file:
                    file.write(data[: len(data) // 2])
                    file.flush()
                    say(f"write-partial {name}")
                    time.sleep(window)
                    file.write(data[len(data) // 2 :])
            say(f"write-temp {name}")
            time.sleep(window)

        original_write(path, write_slowly, op)
        say(f"written {name}")
        if snapshots:  # the reference run keeps every version of every file
            count = len([f for f in os.listdir(snapshots) if f.startswith(name + ".")])
            shutil.copyfile(path, os.path.join(snapshots, f"{name}.{count}"))

    def slow_replace(source, destination):
        original_replace(source, destination)
        say(f"rename-after {os.path.basename(os.fsdecode(destination))}")
        time.sleep(window)

    def announcing(step):
        def announced_step(self, *args, **kwargs):
            steps[0] += 1
            say(f"step {steps[0]}")
            if steps[0] == pause_at:  # gradients computed, parameters not yet updated
                say(f"inside step {steps[0]}")
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
    say("start")
    return main(argv)


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


def environment(window: float, snapshots: str | None = None, step: int = 0) -> dict:
    env = dict(os.environ, KILL_ANYWHERE_WINDOW=str(window), PYTHONUNBUFFERED="1",
               KILL_ANYWHERE_STEP=str(step))  # fmt: skip
    env.pop("KILL_ANYWHERE_SNAPSHOTS", None)
    if snapshots:
        env["KILL_ANYWHERE_SNAPSHOTS"] = snapshots
    return env


def train_args(run_dir: str, epochs: int) -> list:
    return ["train", "--dataset", "moons", "--model", "mlp", "--epochs", str(epochs),
            "--dropout", "0.1", "--seed", "0", "--no-progress", "--out", run_dir]  # fmt: skip


def reference_run(folder: str, epochs: int) -> dict:
    """The uninterrupted run, with every version of every file it wrote."""
    run_dir, snapshots = os.path.join(folder, "reference"), os.path.join(folder, "versions")
    os.makedirs(snapshots)
    started = time.monotonic()
    child_process = Child(train_args(run_dir, epochs), environment(0.0, snapshots))
    if child_process.process.wait() != 0:
        raise SystemExit("the reference run failed:\n" + "\n".join(child_process.other))
    versions = {name: [] for name in FILES}
    def order(entry):  # "metrics.json.12" -> ("metrics.json", 12)
        name, count = entry.rsplit(".", 1)
        return name, int(count)

    for entry in sorted(os.listdir(snapshots), key=order):
        name = entry.rsplit(".", 1)[0]
        versions.setdefault(name, []).append(describe(os.path.join(snapshots, entry), name))
    steps = sum(1 for event in child_process.events if event.startswith("step "))
    return {"dir": run_dir, "versions": versions, "steps": steps, "epochs": epochs,
            "seconds": time.monotonic() - started}  # fmt: skip


def describe(path: str, name: str):
    """A file's content in a form two complete versions can be compared by: tensors as
    bytes, JSON and TOML as values without wall-clock times. Raises if it is unreadable."""
    import abinitio as ab
    from abinitio.cli.options import read_toml

    if name.endswith(".safetensors"):
        return flatten(ab.load(path))
    if name == "metrics.json":
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
    raise ValueError(f"unexpected file {name}")


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


def check_run_dir(run_dir: str, reference: dict) -> list:
    """Problems with the files in ``run_dir``: each must be one complete version the
    reference run wrote (or absent)."""
    problems = []
    for name in FILES:
        path = os.path.join(run_dir, name)
        if not os.path.exists(path):
            continue
        try:
            content = describe(path, name)
        except Exception as error:  # noqa: BLE001 - unreadable is exactly what we look for
            problems.append(f"{name} is unreadable: {type(error).__name__}: {error}"[:300])
            continue
        if name != "report.html" and content not in reference["versions"][name]:
            problems.append(f"{name} is readable but matches no version the reference wrote")
    return problems


def pick_kill(rng: random.Random, reference: dict, kill_index: int, fresh: bool,
              plan=None) -> tuple:  # fmt: skip
    """(kind, predicate) for the next kill: a random moment, a step, or a write window.
    The first kills go through every kind in turn (or through ``plan``), then at random;
    only a fresh start writes config.toml."""
    kinds = [f"{w} {n}" for n in FILES for w in WINDOWS]  # config.toml's first
    kinds[3:3] = ["random", "step"]
    order = plan or kinds
    kind = order[kill_index] if kill_index < len(order) else rng.choice(kinds)
    while kind.endswith("config.toml") and not fresh:
        kind = rng.choice(kinds)
    if kind == "random":
        return kind, None
    if kind == "step":  # within the first three epochs of this process, so it comes
        per_epoch = reference["steps"] // reference["epochs"]
        target = rng.randrange(1, 3 * per_epoch + 1)
        return kind, target
    return kind, lambda event: event == kind


def run(kills: int, seed: int, epochs: int, window: float, folder: str, log=print,
        plan=None) -> dict:  # fmt: skip
    """Kill a run ``kills`` times, resuming each time; the figures and any problems."""
    rng = random.Random(seed)
    reference = reference_run(folder, epochs)
    log(f"reference run: {reference['steps']} steps, {reference['seconds']:.1f} s, "
        f"{sum(map(len, reference['versions'].values()))} file versions")  # fmt: skip
    run_dir = os.path.join(folder, "killed")
    env = environment(window)
    landed, problems, attempts, restarts, resumes, failures = [], [], 0, 0, 0, 0
    while len(landed) < kills and failures < 3 and attempts < 5 * kills:
        attempts += 1
        fresh = not os.path.exists(os.path.join(run_dir, "config.toml"))
        argv = train_args(run_dir, epochs) if fresh else ["train", "--resume", run_dir,
                                                          "--no-progress"]  # fmt: skip
        restarts, resumes = restarts + fresh, resumes + (not fresh)
        kind, predicate = pick_kill(rng, reference, len(landed), fresh, plan)
        if kind == "step":  # the child holds step `target` open for the kill
            target = predicate
            process = Child(argv, environment(window, step=target))
            predicate = lambda event: event == f"inside step {target}"  # noqa: E731
        else:
            process = Child(argv, env)
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
        found = check_run_dir(run_dir, reference)
        problems += [f"after kill {len(landed) + 1} ({kind}, at {where}): {p}" for p in found]
        landed.append({"kind": kind, "at": where, "problems": found})
        log(f"kill {len(landed):>2}: {kind:<36} landed at: {where:<36} "
            f"{'OK' if not found else found}")  # fmt: skip
    finish = Child(["train", "--resume", run_dir, "--no-progress"], environment(0.0))
    if finish.process.wait() != 0:
        problems.append("the final resume failed: " + " | ".join(finish.other[-5:]))
    names = ("model.safetensors", "checkpoint.safetensors", "metrics.json")
    final = {name: describe(os.path.join(run_dir, name), name) for name in names}
    for name, content in final.items():
        if content != reference["versions"][name][-1]:
            problems.append(f"the finished run's {name} differs from the uninterrupted run's")
    leftovers = [n for n in os.listdir(run_dir) if n.endswith(".tmp")]
    return {"kills": len(landed), "attempts": attempts, "fresh starts": restarts,
            "resumes": resumes + 1, "kinds": sorted({k["kind"] for k in landed}),
            "corrupted run directories": sum(bool(k["problems"]) for k in landed),
            "final files bit-identical": not any("finished run" in p for p in problems),
            "leftover temporary files": leftovers, "problems": problems}  # fmt: skip


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--window", type=float, default=0.3,
                        help="seconds each write window is held open (in the child only)")
    parser.add_argument("--keep", help="keep the run directories in this folder")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="kill-anywhere-")
    os.makedirs(folder, exist_ok=True)
    started = time.monotonic()
    result = run(args.kills, args.seed, args.epochs, args.window, folder)
    result["seconds"] = round(time.monotonic() - started)
    print(json.dumps(result, indent=2))
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
