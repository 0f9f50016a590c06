"""Worker for tests/test_swav.py, launched by torchrun with 2 processes (gloo, CPU).
Each rank runs SwAV steps (queue on) on its half of fixed batches and saves its losses and queue to
OUTDIR/swav_rank{r}.pt. The pytest compares them with one process holding the whole batches."""
import os, sys
import torch, torch.nn as nn, torch.distributed as dist
from swav_lit.core import l2norm, world_size, rank
from swav_lit.swav import SwAV

B, D, K, N_CROPS, STEPS, QUEUE = 8, 16, 10, 3, 5, 16  # whole batch B; queue of 16 = 2 whole batches

class UnitVec(nn.Module):
    "A stand-in trunk: (B,d) -> unit rows."
    def forward(self, x): return l2norm(x)

def make_batches(seed=0):
    "STEPS whole batches, each a list of N_CROPS crops (B,D)."
    g = torch.Generator().manual_seed(seed)
    return [[torch.randn(B, D, generator=g) for _ in range(N_CROPS)] for _ in range(STEPS)]

def run(batches, part=slice(None)):
    "SwAV steps (no parameter update) on `part` of each batch -> losses (STEPS,), final queue, queue-used flags."
    torch.manual_seed(1)  # same prototypes on every rank and in the single process
    m = SwAV(UnitVec(), nn.Identity(), n_prototypes=K, feat_dim=D, queue_length=QUEUE, epoch_queue_starts=0)
    m.begin_epoch(0)
    losses, used = [], []
    for step, views in enumerate(batches):
        m.before_step(step)
        loss, logs = m([v[part] for v in views], None)
        losses.append(loss.item()); used.append(logs['queue'])
        m.after_step(step)
    return torch.tensor(losses, dtype=torch.float64), m.queue.clone(), used

def main(outdir):
    dist.init_process_group('gloo')
    r, ws = rank(), world_size()
    assert ws == 2, f'expected 2 processes, got {ws}'
    half = B // ws
    losses, queue, used = run(make_batches(), slice(r * half, (r + 1) * half))
    torch.save(dict(losses=losses, queue=queue, used=used), os.path.join(outdir, f'swav_rank{r}.pt'))
    dist.barrier(); dist.destroy_process_group()
    print(f'rank {r}: ok')

if __name__ == '__main__': main(sys.argv[1])
