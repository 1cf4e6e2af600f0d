"""Helpers shared by the benchmarks: timing, peak memory, the machine's line.

The benchmarks run as scripts (``python benchmarks/bench_x.py``), which puts
this folder on ``sys.path``: they import it as ``from _common import ...``.
"""

import argparse
import os
import platform
import subprocess
import sys
import time

import numpy as np

import sksegment as sks


def make_parser(doc, quick, child=False):
    """A benchmark's command line: described by ``doc``'s first line, with --quick.

    ``quick`` is the help of --quick.  With ``child``, a hidden --child NAME: the
    script runs one part in a process of its own (see ``run_child``).
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    if child:
        parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser


def describe_machine(*versions):
    """One line: sksegment, the machine, Python, then ``versions`` ("pandas 2.3")."""
    return ", ".join(
        [
            f"sksegment {sks.__version__} on {platform.machine()}",
            f"{os.cpu_count()} cores",
            f"Python {platform.python_version()}",
            *versions,
        ]
    )


def median_ms(func, repeats):
    """Median wall time of ``func()`` over ``repeats`` calls, in ms."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


# --- peak memory, measured in a process of its own --------------------------------


def memory(field):
    """A field of /proc/self/status (VmRSS, VmHWM), in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def reset_peak():
    """Set the peak (VmHWM) to the current resident size and return that, in MiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return memory("VmRSS")


def run_child(script, *args, env):
    """Run ``script`` with ``args`` in a new Python process: its output's words."""
    return subprocess.run(
        [sys.executable, script, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
