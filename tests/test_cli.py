"""The command line and the package's import footprint."""

import subprocess
import sys

from abinitio.cli import main
from abinitio.demo import train_two_moons


def test_demo_loss_falls_and_accuracy_is_high():
    lines = []
    accuracy = train_two_moons(steps=400, print_every=100, log=lines.append)
    losses = [float(line.split()[-1]) for line in lines if line.startswith("step")]
    assert losses[-1] < 0.5 * losses[0]
    assert accuracy > 0.9


def test_main_runs_the_demo(capsys):
    assert main(["demo", "--steps", "50"]) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_python_dash_m_info():
    out = subprocess.run(
        [sys.executable, "-m", "abinitio", "info"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("abinitio ")


def test_import_abinitio_stays_light():
    code = (
        "import sys, abinitio; "
        "heavy = [m for m in ('torch', 'matplotlib', 'sklearn', 'scipy') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
