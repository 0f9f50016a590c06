import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture
def digit_pngs(tmp_path):
    "Write `n` real digit images as PNG files into a folder; returns a function(folder, n)."
    from swav_lit.data import Digits
    ds = Digits('train')
    def write(folder, n=3):
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n): ds[i][0].save(folder / f'{i}.png')
        return folder
    return write

def run_torchrun(script, *args, nproc=2, timeout=300):
    "Launch tests/`script` under `torchrun --standalone --nproc_per_node nproc` (gloo, CPU); fail the test with its output unless rc 0."
    import subprocess
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')]))
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', str(nproc),
           str(ROOT / 'tests' / script), *map(str, args)]
    try: p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e: pytest.fail(f'torchrun {script} timed out after {timeout} s\n{e.stdout}\n{e.stderr}')
    assert p.returncode == 0, f'torchrun {script} failed (rc={p.returncode})\nstdout:\n{p.stdout[-3000:]}\nstderr:\n{p.stderr[-5000:]}'
    return p

@pytest.fixture
def torchrun():
    "The `run_torchrun` launcher, as a fixture."
    return run_torchrun
