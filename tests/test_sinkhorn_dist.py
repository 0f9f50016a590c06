"""Two processes (torchrun, gloo, CPU), each holding half a batch, give the same Sinkhorn codes as one
process holding the whole batch: within 1e-6 in float64 (1e-5 in float32)."""
import os, sys, subprocess
from pathlib import Path
import pytest, torch
from swav_lit.sinkhorn import sinkhorn

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from dist_sinkhorn_worker import CONFIGS, make_scores

TOL = {torch.float64: 1e-6, torch.float32: 1e-5}

def test_sinkhorn_two_processes_match_one(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join([str(HERE.parent), os.environ.get('PYTHONPATH', '')]))
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2',
           str(HERE / 'dist_sinkhorn_worker.py'), str(tmp_path)]
    try: p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as e: pytest.fail(f'torchrun timed out after 120 s\n{e.stdout}\n{e.stderr}')
    assert p.returncode == 0, f'torchrun failed (rc={p.returncode})\nstdout:\n{p.stdout}\nstderr:\n{p.stderr[-4000:]}'
    for name, B, K, D, eps, n_iters, dtype, scale in CONFIGS:
        q1 = sinkhorn(make_scores(B, K, D, scale).to(dtype), eps=eps, n_iters=n_iters, dtype=dtype)  # one process, whole batch
        q2 = torch.cat([torch.load(tmp_path / f'codes_{name}_rank{r}.pt') for r in range(2)])
        assert q2.shape == q1.shape and q2.dtype == dtype, name
        assert torch.isfinite(q2).all(), name
        err = (q2 - q1).abs().max().item()
        assert err <= TOL[dtype], f'{name}: 2-process codes differ from 1-process by {err:.2e} > {TOL[dtype]:g}'
