"""Fuzz every file format abinitio reads: >= 100,000 inputs per target, then a summary.

    nice python scripts/fuzz.py                      # all targets, 100,000 inputs each
    nice python scripts/fuzz.py --runs 20000 load idx
    nice python scripts/fuzz.py --engine mutate      # without atheris

Targets, seeds and the structure-aware mutator are in ``tests/fuzz/fuzzing.py`` (the
in-suite version, ``tests/fuzz``, runs a few hundred inputs of each). Two engines:

* ``atheris`` (the default where ``pip install atheris`` worked): Google's coverage-guided
  libFuzzer for Python, with abinitio's modules instrumented. Each target runs in its own
  process, with libFuzzer's own byte mutations and ours (a custom mutator picks one or the
  other), a 10-second timeout per input (a hang is a failure) and a 3 GB RSS limit.
* ``mutate``: the same mutator without coverage feedback; an input joins the corpus when
  it provokes an outcome not seen before (error type and message shape). Each input runs
  under a 10-second CPU-time alarm (wall time would count a busy machine against it) and
  an address-space limit of 1 GB above the process's size, so
  an allocation the file's size does not justify fails as a MemoryError.

A finding is any exception other than the target's documented error (or a documented one
whose message does not name the file), a hang or a memory blow-up. Findings are saved under
``--findings`` (default ``fuzz-findings/``) to reproduce; the exit code is 1 if any.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fuzz"))


class Hang(Exception):
    pass


_STOP = []


def _stop(signum, frame):
    _STOP.append(signum)


def _alarm(signum, frame):
    raise Hang("the input took more CPU time than the timeout")


def run_mutate(name: str, runs: int, seed: int, findings_dir: str, timeout: float) -> dict:
    """The coverage-free engine, in this process."""
    import fuzzing

    target = fuzzing.targets()[name]
    rng = random.Random(seed)
    corpus, seen = list(target.seeds), set()
    found, slowest = [], 0.0
    signal.signal(signal.SIGPROF, _alarm)
    signal.signal(signal.SIGTERM, _stop)
    _limit_memory(2**30)
    started = time.perf_counter()
    done = 0
    with tempfile.TemporaryDirectory(dir=_fast_dir()) as folder:
        for done in range(1, runs + 1):
            if _STOP:  # SIGTERM: report what ran so far
                done -= 1
                break
            if done % 10_000 == 0:
                print(f"{name}: {done} inputs, {len(found)} findings", file=sys.stderr,
                      flush=True)  # fmt: skip
            data = fuzzing.mutate(target, rng.choice(corpus), rng)
            begin = time.perf_counter()
            signal.setitimer(signal.ITIMER_PROF, timeout)  # CPU time: the machine may be busy
            try:
                problem, outcome = fuzzing.check(target, data, folder), _outcome(target, data)
            except Hang as error:
                problem, outcome = f"hang: {error}", "hang"
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
            slowest = max(slowest, time.perf_counter() - begin)
            if outcome not in seen and len(data) < 2**20:
                seen.add(outcome)
                corpus.append(data)
            if problem:
                found.append(problem)
                _save(findings_dir, name, data, problem)
    return {"target": name, "engine": "mutate", "inputs": done, "findings": len(found),
            "distinct findings": sorted(set(found))[:10], "outcomes": len(seen),
            "slowest input s": round(slowest, 3), "seconds": round(time.perf_counter() - started),
            "max RSS MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}  # fmt: skip


def _outcome(target, data) -> str:
    """The shape of what the last check did: its error type and message without numbers."""
    import fuzzing

    return re.sub(r"\d+|'[^']*'", "#", fuzzing.LAST["outcome"])[:60]


def _limit_memory(extra: int) -> None:
    with open("/proc/self/status") as status:
        size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize"))
    resource.setrlimit(resource.RLIMIT_AS, (size + extra, resource.RLIM_INFINITY))


def _fast_dir():
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _save(findings_dir: str, name: str, data: bytes, problem: str) -> None:
    folder = os.path.join(findings_dir, name)
    os.makedirs(folder, exist_ok=True)
    stem = os.path.join(folder, f"{abs(hash(data)):016x}")
    with open(stem + ".bin", "wb") as file:
        file.write(data)
    with open(stem + ".txt", "w") as file:
        file.write(problem + "\n")


def run_atheris_child(name: str, runs: int, seed: int, timeout: float) -> None:
    """In a child process: libFuzzer on one target (never returns)."""
    import atheris

    with atheris.instrument_imports(include=["abinitio", "fuzzing"]):
        import fuzzing

        target = fuzzing.targets()[name]
    folder = tempfile.mkdtemp(dir=_fast_dir())
    rng = random.Random(seed)

    def test_one_input(data: bytes) -> None:
        problem = fuzzing.check(target, data, folder)
        if problem:
            raise RuntimeError(f"{name}: {problem}")

    def custom_mutator(data: bytes, max_size: int, libfuzzer_seed: int) -> bytes:
        if not data or rng.random() < 0.5:
            data = rng.choice(target.seeds)
            return fuzzing.mutate(target, data, rng)[: max(max_size, 1 << 16)]
        return atheris.Mutate(data, max_size)

    corpus = tempfile.mkdtemp(dir=_fast_dir())
    for i, data in enumerate(target.seeds):
        with open(os.path.join(corpus, f"seed{i}"), "wb") as file:
            file.write(data)
    argv = [sys.argv[0], f"-runs={runs}", f"-seed={seed + 1}", f"-timeout={int(timeout)}",
            "-rss_limit_mb=3072", "-max_len=1048576", "-print_final_stats=1", corpus]  # fmt: skip
    atheris.Setup(argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


def run_atheris(name: str, runs: int, seed: int, findings_dir: str, timeout: float) -> dict:
    started = time.perf_counter()
    os.makedirs(os.path.join(findings_dir, name), exist_ok=True)
    command = [sys.executable, __file__, "--child", name, "--runs", str(runs),
               "--seed", str(seed), "--timeout", str(timeout)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True,
                            cwd=os.path.join(findings_dir, name))  # fmt: skip
    output = result.stdout + result.stderr
    executed = re.findall(r"stat::number_of_executed_units:\s*(\d+)", output)
    peak = re.findall(r"stat::peak_rss_mb:\s*(\d+)", output)
    crash = re.search(r"(RuntimeError: .*|==\d+== ERROR: libFuzzer: .*)", output)
    return {"target": name, "engine": "atheris", "inputs": int(executed[-1]) if executed else 0,
            "findings": 0 if result.returncode == 0 else 1,
            "distinct findings": [crash[1][:300]] if crash else [],
            "seconds": round(time.perf_counter() - started),
            "max RSS MB": int(peak[-1]) if peak else None,
            "exit code": result.returncode}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help="default: every target")
    parser.add_argument("--runs", type=int, default=100_000, help="inputs per target")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", choices=("atheris", "mutate"), default=None)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per input")
    parser.add_argument("--findings", default="fuzz-findings")
    parser.add_argument("--json", help="also write the summary to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_atheris_child(args.child, args.runs, args.seed, args.timeout)
        return 0
    import fuzzing

    engine = args.engine
    if engine is None:
        try:
            import atheris  # noqa: F401

            engine = "atheris"
        except ImportError:
            engine = "mutate"
    names = args.targets or list(fuzzing.targets())
    findings = os.path.abspath(args.findings)
    run = run_atheris if engine == "atheris" else run_mutate
    summary = []
    for name in names:
        result = run(name, args.runs, args.seed, findings, args.timeout)
        summary.append(result)
        print(json.dumps(result), flush=True)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(summary, file, indent=2)
    print(f"\n{'target':<12} {'engine':<8} {'inputs':>8} {'findings':>8} {'seconds':>8}")
    for row in summary:
        print(f"{row['target']:<12} {row['engine']:<8} {row['inputs']:>8} {row['findings']:>8}"
              f" {row['seconds']:>8}")  # fmt: skip
    return 1 if any(row["findings"] for row in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
