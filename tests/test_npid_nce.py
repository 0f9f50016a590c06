"Memory bank, negative sampling and NCE criteria (chapters 10_npid, 11_nce): checks against float64 loops, checkpoints, 2 ranks."
import math, os, socket
import pytest
import torch, torch.nn as nn
import torch.distributed as dist
import torch.multiprocessing as mp
from swav_lit.core import l2norm
from swav_lit.npid import MemoryBank, nonparametric_softmax, nonparametric_loss
from swav_lit.nce import sample_negatives, NCECriterion, nce_loss, make_criterion, NPID


def test_sample_negatives_excludes_self_and_is_uniform():
    g = torch.Generator().manual_seed(0)
    index = torch.tensor([0, 2, 6, 6])
    neg = sample_negatives(index, 7, 60_000, g)
    assert neg.shape == (4, 60_000) and neg.dtype == torch.long
    assert not (neg == index[:, None]).any()
    for b in range(4):
        f = torch.bincount(neg[b], minlength=7).double() / 60_000
        others = f[torch.arange(7) != index[b]]
        assert torch.allclose(others, torch.full_like(others, 1 / 6), atol=0.01)


def test_softmax_matches_loop():
    g = torch.Generator().manual_seed(0)
    mem, v = l2norm(torch.randn(9, 4, generator=g)), l2norm(torch.randn(3, 4, generator=g))
    P = nonparametric_softmax(v, mem, 0.1).double()
    for b in range(3):
        e = [math.exp(float(mem[j].double() @ v[b].double()) / 0.1) for j in range(9)]
        assert torch.allclose(P[b], torch.tensor(e, dtype=torch.float64) / sum(e), atol=1e-5)
    idx = torch.tensor([1, 8, 0])
    assert abs(nonparametric_loss(v, mem, idx, 0.1).item() + P[range(3), idx].log().mean().item()) < 1e-4


def test_bank_update_matches_loop_and_checkpoints():
    torch.manual_seed(0)
    bank = MemoryBank(12, 5, momentum=0.7)
    ref = bank.mem.clone().double()
    index, v = torch.tensor([3, 0, 11]), l2norm(torch.randn(3, 5))
    for i, x in zip(index.tolist(), v.double()):
        m = 0.7 * ref[i] + 0.3 * x
        ref[i] = m / m.norm()
    bank.update(index, v)
    assert torch.allclose(bank.mem.double(), ref, atol=1e-6)
    other = MemoryBank(12, 5)
    other.load_state_dict(bank.state_dict())
    assert torch.equal(other.mem, bank.mem)


def _nce_ref(a, b, neg, n, tau, Z=None):
    a, b, neg = a.double(), b.double(), neg.double()
    s = torch.cat([(a * b).sum(1, keepdim=True), torch.einsum('bkd,bd->bk', neg, b)], 1) / tau
    Z = Z if Z is not None else s.exp().mean().item() * n
    P, kPn = s.exp() / Z, neg.shape[1] / n
    return (-(P[:, 0] / (P[:, 0] + kPn)).log() - (1 - P[:, 1:] / (P[:, 1:] + kPn)).log().sum(1)).mean().item(), Z


def test_nce_criterion_and_frozen_z():
    g = torch.Generator().manual_seed(3)
    mk = lambda: [l2norm(torch.randn(*s, generator=g)) for s in [(5, 6), (5, 6), (5, 9, 6)]]
    crit = NCECriterion(100, 0.07)
    x1, x2 = mk(), mk()
    r1, Z1 = _nce_ref(*x1, 100, 0.07)
    assert abs(crit(*x1).item() - r1) < 1e-4 * r1 and abs(crit.Z.item() - Z1) < 1e-4 * Z1
    r2, _ = _nce_ref(*x2, 100, 0.07, Z=Z1)
    assert abs(crit(*x2).item() - r2) < 1e-4 * r2
    # a checkpoint keeps Z: a restored criterion does not re-estimate it
    new = NCECriterion(100, 0.07); new.load_state_dict(crit.state_dict())
    assert abs(new(*x2).item() - r2) < 1e-4 * r2


def test_pirl_nce_matches_loop():
    g = torch.Generator().manual_seed(4)
    a, b, neg = torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g), torch.randn(4, 5, 3, generator=g)
    cos = lambda x, y: float(x.double() @ y.double()) / float(x.double().norm() * y.double().norm())
    tot = 0.
    for i in range(4):
        D = sum(math.exp(cos(b[i], n) / 0.1) for n in neg[i])
        h = lambda x, y: math.exp(cos(x, y) / 0.1) / (math.exp(cos(x, y) / 0.1) + D)
        tot += -math.log(h(a[i], b[i])) - sum(math.log(1 - h(b[i], n)) for n in neg[i])
    assert abs(nce_loss(a, b, neg, 0.1).item() - tot / 4) < 1e-4


def test_npid_step_and_checkpoint():
    class Tiny(nn.Sequential):
        def __init__(self): super().__init__(nn.Flatten(), nn.Linear(12, 10)); self.dim = 10
    torch.manual_seed(0)
    m = NPID(Tiny(), n_data=40, feat_dim=4, n_neg=8, size_crops=[2])
    x, index = torch.randn(5, 3, 2, 2), torch.tensor([1, 5, 7, 20, 39])
    loss, logs = m(x, index); loss.backward(); m.after_step(0)
    m2 = NPID(Tiny(), n_data=40, feat_dim=4, n_neg=8, size_crops=[2])
    m2.load_state_dict(m.state_dict())
    assert torch.equal(m2.bank.mem, m.bank.mem) and m2.criterion.Z.item() == m.criterion.Z.item() > 0
    assert isinstance(make_criterion('pirl'), nn.Module)


def _worker(rank, port, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    torch.manual_seed(0)  # the same initial bank on both ranks
    bank = MemoryBank(8, 3)
    index = torch.tensor([0, 1]) if rank == 0 else torch.tensor([5, 6])
    v = l2norm(torch.full((2, 3), float(rank + 1)) + torch.arange(3.))
    bank.update(index, v)
    crit = NCECriterion(8, tau=1.)
    u = l2norm(torch.ones(1, 3))
    crit(u, u, (u if rank == 0 else -u)[:, None].expand(1, 2, 3))  # scores (1, 1, 1) on rank 0, (1, -1, -1) on rank 1
    torch.save({'mem': bank.mem, 'Z': crit.Z}, f'{out}/rank{rank}.pt')
    dist.destroy_process_group()


def test_bank_and_z_identical_across_ranks(tmp_path):
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    mp.spawn(_worker, args=(port, str(tmp_path)), nprocs=2, join=True)
    r0, r1 = torch.load(tmp_path / 'rank0.pt'), torch.load(tmp_path / 'rank1.pt')
    assert torch.equal(r0['mem'], r1['mem']) and r0['Z'].item() == r1['Z'].item()
    torch.manual_seed(0); ref = MemoryBank(8, 3)
    for rank, idx in ((0, [0, 1]), (1, [5, 6])):  # every rank's rows landed in both banks
        v = l2norm(torch.full((2, 3), float(rank + 1)) + torch.arange(3.))
        assert torch.allclose(r0['mem'][idx], l2norm(0.5 * ref.mem[idx] + 0.5 * v), atol=1e-6)
    # Z is the mean of the two ranks' estimates: rank 0 scores (1, 1, 1), rank 1 scores (1, -1, -1), tau = 1
    z = 8 * (math.e + (math.e + 2 / math.e) / 3) / 2
    assert abs(r0['Z'].item() - z) < 1e-4 * z
