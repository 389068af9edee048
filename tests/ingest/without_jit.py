"""Running compiled kernels with numba's JIT off, for the tests that untrusted bytes never make
a kernel read past a buffer: as plain Python over numpy arrays, an index past the end of an
array raises IndexError where compiled code would read memory."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def run_without_jit(script: str, timeout: int = 900) -> str:
    """Run `script` in a fresh interpreter (from the repo root) with NUMBA_DISABLE_JIT set;
    its stdout. The test fails, with the end of stderr, when the script fails."""
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", script], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout
