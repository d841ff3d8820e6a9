"""abinitio.profiler: time per primitive, forward and backward, torch.profiler's table."""

import json
import threading
import time

import numpy as np
import pytest

import abinitio as ab
from abinitio import nn
from abinitio.autograd import profiling
from abinitio.profiler import ProfilerActivity, profile, record_function


def _step(model, x):
    loss = model(x).sum()
    loss.backward()


def test_forward_and_backward_of_every_primitive_are_recorded_and_counted():
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
    x = ab.ones(2, 4)
    with profile() as prof:
        for _ in range(3):
            _step(model, x)
    counts = {row.key: row.count for row in prof.key_averages()}
    forward_names = [k for k in counts if not k.endswith("Backward") and "::" not in k]
    assert forward_names, counts
    for name in forward_names:
        assert counts[name + "Backward"] == counts[name] == 3 * counts[name] // 3
    assert counts["autograd::backward"] == 3
    tanh = [k for k in forward_names if "tanh" in k.lower()]
    assert tanh and counts[tanh[0]] == 3


def test_self_time_is_total_minus_the_ranges_inside():
    with profile() as prof:
        with record_function("outer"):
            time.sleep(0.01)
            with record_function("inner"):
                time.sleep(0.02)
    rows = {row.key: row for row in prof.key_averages()}
    outer, inner = rows["outer"], rows["inner"]
    assert inner.cpu_time_total >= 20_000  # microseconds
    assert outer.cpu_time_total >= outer.self_cpu_time_total + inner.cpu_time_total - 1
    assert outer.self_cpu_time_total == pytest.approx(
        outer.cpu_time_total - inner.cpu_time_total, abs=1.0
    )
    assert 10_000 <= outer.self_cpu_time_total < outer.cpu_time_total


def test_table_sorts_by_the_key_asked_and_limits_rows():
    x = ab.ones(5, 5, requires_grad=True)
    with profile() as prof:
        with record_function("slow"):
            time.sleep(0.01)
        for _ in range(4):
            (x * 2).sum().backward()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=2)
    lines = table.splitlines()
    assert "Self CPU %" in lines[1] and "# of Calls" in lines[1]
    assert lines[3].split()[0] == "slow"  # 10 ms of sleep beats every primitive
    assert len(lines) == 3 + 2 + 3  # header, two rows, rule and two summary lines
    by_count = prof.key_averages().table(sort_by="count").splitlines()
    assert by_count[3].split()[-1] == "4"
    assert "Self CPU time total" in table and "outside every range" in table
    with pytest.raises(ValueError, match="sort_by must be one of .* got 'cpu'"):
        prof.key_averages().table(sort_by="cpu")


def test_group_by_input_shape_separates_shapes():
    with profile(record_shapes=True) as prof:
        ab.ones(2, 3) * 2
        ab.ones(4, 3) * 2
        ab.ones(4, 3) * 3
    plain = [row for row in prof.key_averages() if row.key == "Mul"]
    grouped = [row for row in prof.key_averages(group_by_input_shape=True) if row.key == "Mul"]
    assert [row.count for row in plain] == [3]
    assert sorted(row.count for row in grouped) == [1, 2]
    assert "Input Shapes" in prof.key_averages(group_by_input_shape=True).table()


def test_chrome_trace_is_valid_json(tmp_path):
    with profile() as prof:
        ab.ones(2) + 1
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(path)
    trace = json.loads(path.read_text())["traceEvents"]
    assert [e["name"] for e in trace] == ["Add"] and trace[0]["ph"] == "X"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_off_outside_the_block_and_after_an_error():
    assert profiling._state.recorder is None
    with pytest.raises(ValueError):
        with profile() as prof:
            ab.ones(2) + 1
            raise ValueError("inside")
    assert profiling._state.recorder is None
    ab.ones(2) + 1  # not recorded
    assert [e.key for e in prof.events()] == ["Add"]
    with record_function("nothing to record into"):
        pass


def test_a_failing_primitive_still_closes_its_range():
    with profile() as prof:
        with pytest.raises(ValueError):
            ab.ones(2, 3) @ ab.ones(2, 3)
        ab.ones(2) + 1
    events = prof.events()
    assert events[-1].key == "Add"
    assert profiling._state.recorder is None


def test_profiles_do_not_nest_and_other_threads_are_not_recorded():
    with profile() as prof:
        with pytest.raises(RuntimeError, match="already running"):
            profile().start()
        worker = threading.Thread(target=lambda: ab.ones(2) + 1)
        worker.start()
        worker.join()
        ab.ones(2) * 2
    assert [e.key for e in prof.events()] == ["Mul"]


def test_record_function_as_a_decorator_and_bad_arguments():
    @record_function("my step")
    def step():
        return ab.ones(2) + 1

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    assert [e.key for e in prof.events()] == ["Add", "my step"]
    with pytest.raises(TypeError, match="name must be a str, got int"):
        record_function(3)
    with pytest.raises(ValueError, match="only ProfilerActivity.CPU"):
        profile(activities=["cuda"])
    with pytest.raises(RuntimeError, match="has not run"):
        profile().events()


def test_profiled_results_equal_unprofiled_ones():
    ab.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.GELU(), nn.Linear(5, 2))
    x = ab.tensor(np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32))
    _step(model, x)
    expected = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    with profile():
        _step(model, x)
    for p, g in zip(model.parameters(), expected):
        np.testing.assert_array_equal(p.grad.numpy(), g)
