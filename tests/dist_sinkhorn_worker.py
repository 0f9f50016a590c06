"""Worker for tests/test_sinkhorn_dist.py, launched by torchrun with 2 processes (gloo, CPU).
Each rank builds the same fixed batch, keeps its half, runs `sinkhorn` with the all-reduces live,
and saves its codes to OUTDIR/codes_{cfg}_rank{r}.pt. The pytest compares them with one process."""
import os, sys
import torch, torch.distributed as dist
from swav_lit.core import l2norm, world_size, rank
from swav_lit.sinkhorn import sinkhorn

# (name, B, K, D, eps, n_iters, dtype, scale): scale multiplies the unit-vector scores
CONFIGS = [('f64', 64, 10, 16, 0.05, 3, torch.float64, 1.),
           ('f64_eps01_it10', 64, 25, 16, 0.01, 10, torch.float64, 1.),
           ('f64_it0', 64, 10, 16, 0.05, 0, torch.float64, 1.),  # only the all-reduced total acts here
           ('f32', 64, 10, 16, 0.05, 3, torch.float32, 1.),
           ('extreme_f32', 64, 10, 16, 0.01, 3, torch.float32, 1e4)]

def make_scores(B, K, D, scale, seed=0):
    "The fixed whole batch: scores (B,K) = z·Cᵀ of random unit vectors, times `scale`."
    g = torch.Generator().manual_seed(seed)
    z, C = l2norm(torch.randn(B, D, generator=g, dtype=torch.float64)), l2norm(torch.randn(K, D, generator=g, dtype=torch.float64))
    return (z @ C.T) * scale

def main(outdir):
    dist.init_process_group('gloo')
    r, ws = rank(), world_size()
    assert ws == 2, f'expected 2 processes, got {ws}'
    for name, B, K, D, eps, n_iters, dtype, scale in CONFIGS:
        s = make_scores(B, K, D, scale).chunk(ws)[r]  # this rank's half of the batch
        q = sinkhorn(s.to(dtype), eps=eps, n_iters=n_iters, dtype=dtype)
        torch.save(q, os.path.join(outdir, f'codes_{name}_rank{r}.pt'))
    dist.barrier()
    dist.destroy_process_group()
    print(f'rank {r}: ok')

if __name__ == '__main__': main(sys.argv[1])
