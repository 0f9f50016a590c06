"""SwAV and multi-crop outside the notebooks: a distributed SwAV step (2 processes, torchrun, gloo, CPU)
with the queue on matches one process holding the whole batch; the grouped multi-crop forward equals
running each crop alone; a checkpoint round trip keeps the queue and the iteration count."""
import sys, copy
from pathlib import Path
import pytest, torch, torch.nn as nn
from swav_lit.swav import SwAV
from swav_lit.multicrop import multicrop_forward, crop_groups
from swav_lit.models import SmallConvNet, MLPHead

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from dist_swav_worker import run, make_batches, B, D, QUEUE

def test_swav_two_processes_match_one(tmp_path, torchrun):
    torchrun('dist_swav_worker.py', tmp_path, timeout=120)
    losses1, queue1, used1 = run(make_batches())  # one process, whole batches, whole queue
    ranks = [torch.load(tmp_path / f'swav_rank{r}.pt') for r in range(2)]
    assert used1 == [0., 0., 1., 1., 1.] and all(rk['used'] == used1 for rk in ranks)  # full after 2 batches, on every rank
    # each rank's loss is the mean over its half of the batch: their average is the whole batch's loss
    err = ((ranks[0]['losses'] + ranks[1]['losses']) / 2 - losses1).abs().max().item()
    assert err < 1e-5, f'2-process SwAV losses differ from 1-process by {err:.2e}'
    # each rank's queue holds its half of every pushed batch, newest first, and is QUEUE/2 long
    h = B // 2
    for r, rk in enumerate(ranks):
        assert rk['queue'].shape == (2, QUEUE // 2, D)
        for j in range(QUEUE // B):  # j-th newest batch
            torch.testing.assert_close(rk['queue'][:, j * h:(j + 1) * h], queue1[:, j * B + r * h:j * B + (r + 1) * h])

def test_multicrop_forward_equals_each_crop_alone():
    torch.manual_seed(0)
    trunk, head = SmallConvNet((8, 16, 32, 64)).eval(), MLPHead(64, 32, 16).eval()
    crops = [torch.randn(2, 3, s, s) for s in [32, 32, 16, 16, 16, 16, 16, 16]]
    assert crop_groups(crops) == [(0, 2), (2, 8)]
    z = multicrop_forward(trunk, head, crops)
    t64, h64 = copy.deepcopy(trunk).double(), copy.deepcopy(head).double()
    ref = torch.cat([h64(t64(c.double())) for c in crops])
    torch.testing.assert_close(z.double(), ref, atol=1e-5, rtol=1e-5)

def test_checkpoint_keeps_queue_and_iteration():
    m = SwAV(nn.Identity(), nn.Identity(), n_prototypes=5, feat_dim=4, queue_length=6)
    with torch.no_grad(): m.queue.normal_(); m.iteration += 7
    m2 = SwAV(nn.Identity(), nn.Identity(), n_prototypes=5, feat_dim=4, queue_length=6)
    m2.load_state_dict(m.state_dict())
    assert torch.equal(m2.queue, m.queue) and int(m2.iteration) == 7
