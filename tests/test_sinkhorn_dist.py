"""Two processes (torchrun, gloo, CPU), each holding half a batch, give the same Sinkhorn codes as one
process holding the whole batch: within 1e-6 in float64 (1e-5 in float32)."""
import sys
from pathlib import Path
import pytest, torch
from swav_lit.sinkhorn import sinkhorn

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from dist_sinkhorn_worker import CONFIGS, make_scores

TOL = {torch.float64: 1e-6, torch.float32: 1e-5}

def test_sinkhorn_two_processes_match_one(tmp_path, torchrun):
    torchrun('dist_sinkhorn_worker.py', tmp_path, timeout=120)
    for name, B, K, D, eps, n_iters, dtype, scale in CONFIGS:
        q1 = sinkhorn(make_scores(B, K, D, scale).to(dtype), eps=eps, n_iters=n_iters, dtype=dtype)  # one process, whole batch
        q2 = torch.cat([torch.load(tmp_path / f'codes_{name}_rank{r}.pt') for r in range(2)])
        assert q2.shape == q1.shape and q2.dtype == dtype, name
        assert torch.isfinite(q2).all(), name
        err = (q2 - q1).abs().max().item()
        assert err <= TOL[dtype], f'{name}: 2-process codes differ from 1-process by {err:.2e} > {TOL[dtype]:g}'
