"""Two processes (torchrun, gloo, CPU) training on the same global batch as one process give the same losses
and the same updated weights.

Set-up that makes the comparison exact up to float rounding:
- the sampler gives rank r chunk r of every global batch, and the views of image i are seeded from
  (seed, epoch, i), so the two ranks together see exactly the one-process batch (SwAV's batched views, its
  default on the digits, draw each image's crops from that image's own generator too, and so do NPID's and PIRL's
  (rotation) batched views; 'npid-pil' checks the per-image PIL views, seeded the same way);
- `norm=none`: torch's SyncBatchNorm runs on CUDA only, and per-rank BatchNorm statistics would (rightly)
  differ from whole-batch ones, so the trunk and heads here have no BatchNorm;
- NPID/PIRL negatives are a fixed function of the index (tests/dist_train_worker.py), the same in both runs.
Then DDP's gradient average over ranks equals the gradient of the whole-batch mean loss, Sinkhorn's and the
memory bank's all-reduces and all-gathers see the whole batch, and LARS sees the same gradients.
Tolerance: 1e-5 relative on the logged losses, 2e-5 on every weight and buffer: absolute, or relative where the
entries exceed 1 (NPID's Z, ~1e8 once the bank is filled) (observed ~1e-7).
"""
import json, sys
from pathlib import Path
import pytest, torch
from swav_lit.train import train
from swav_lit.runs import load_checkpoint
from swav_lit.build import build_method

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import dist_train_worker
from conftest import run_torchrun

# float32 rounding, summed in another order by gloo's all-reduce and amplified by 3 steps at lr 0.5-2: measured up to
# 2.6e-5 (torch 2.14.1, CPU); a wrong gather, sampler or seed shows as 1e-2 or more (the weights move by 0.17 to 16)
LOSS_RTOL, STATE_ATOL = 1e-5, 1e-4
COMMON = dict(batch_size=64, max_steps=3, epochs=1, norm='none', knn_every=0, report=False, progress=False, seed=1,
              size_crops=[16], n_crops=[2], min_scale_crops=[0.2], max_scale_crops=[1.0], cpu=True)
RUNS = {
    'swav': dict(method='swav', n_crops=[2, 2], size_crops=[16, 8], min_scale_crops=[0.3, 0.1],
                 max_scale_crops=[1.0, 0.3], n_prototypes=20, feat_dim=32, hidden_dim=64, freeze_prototypes_iters=1,
                 lr=2.0, trust_coef=0.01),
    'pirl': dict(method='pirl', optimizer='sgd', lr=0.5, n_neg=64, feat_dim=32, nce_loss='pirl', pretext='rotation'),
    'npid': dict(method='npid', optimizer='sgd', lr=0.5, n_neg=64, feat_dim=32),
    'npid-pil': dict(method='npid', optimizer='sgd', lr=0.5, n_neg=64, feat_dim=32, aug='pil'),
    # SimCLR: NT-Xent over the gathered views (gradients summed back over ranks); MoCo: the queue filled with both ranks'
    # keys, shuffling BN over 4 groups (2 per rank; without BN here, the shuffle and unshuffle must still give every key back)
    'simclr': dict(method='simclr', optimizer='sgd', lr=1.0, feat_dim=32, hidden_dim=64, tau=0.1),
    'moco': dict(method='moco', optimizer='sgd', lr=0.5, feat_dim=32, hidden_dim=64, tau=0.2, moco_m=0.9, queue_length=128,
                 bn_splits=4),
    # BYOL: the target an EMA of the DDP-averaged online weights, the same on both ranks (tau 0.9: it moves visibly)
    'byol': dict(method='byol', optimizer='sgd', lr=0.5, feat_dim=32, hidden_dim=64, byol_tau=0.9),
    # RotNet: all four rotations of each rank's images; the jigsaw: per-image (PIL) puzzles, its permutation drawn per image
    'rotnet': dict(method='rotnet', optimizer='sgd', lr=0.5),
    'jigsaw': dict(method='jigsaw', optimizer='sgd', lr=0.5, n_perms=20, hidden_dim=16),
    # CMC: two banks written with both ranks' features (MemoryBank.update gathers), one draw of negatives for both views
    'cmc': dict(method='cmc', optimizer='sgd', lr=0.5, n_neg=64, feat_dim=32),
    # DeepCluster, SeLa: every image's features from both ranks' shares, the same labels (and DeepCluster's sample order) on both
    'deepcluster': dict(method='deepcluster', optimizer='sgd', lr=0.5, n_clusters=20, pca_dim=16, kmeans_iters=5),
    'sela': dict(method='sela', optimizer='sgd', lr=0.5, n_clusters=20, sela_heads=2, sela_opts=3),
    # DINO: the centre's batch mean and DINOv2's Sinkhorn all-reduced over ranks, the teacher an EMA of the DDP-averaged student
    'dino': dict(method='dino', optimizer='sgd', lr=0.5, n_crops=[2, 2], size_crops=[16, 8], min_scale_crops=[0.3, 0.1],
                 max_scale_crops=[1.0, 0.3], n_prototypes=20, feat_dim=8, hidden_dim=32, dino_momentum=0.9),
    'dino_sk': dict(method='dino', optimizer='sgd', lr=0.5, n_crops=[2, 2], size_crops=[16, 8], min_scale_crops=[0.3, 0.1],
                    max_scale_crops=[1.0, 0.3], n_prototypes=20, feat_dim=8, hidden_dim=32, dino_momentum=0.9, dino_centering='sinkhorn'),
    # CPC: every patch of both ranks' images is a candidate (gather_with_grad), each rank's images at its offset; the GRU context
    'cpc': dict(method='cpc', optimizer='sgd', lr=4.0, cpc_patch=8, cpc_stride=4, cpc_steps=2, hidden_dim=16, cpc_context='gru'),
}

def _args(kw):
    out = []
    for k, v in kw.items(): out += [f'--{k}', *(map(str, v) if isinstance(v, list) else [str(v)])]
    return out

@pytest.fixture(scope='module')
def two_process_runs(tmp_path_factory):
    """Every method of RUNS trained by 2 processes in ONE torchrun launch (tests/dist_train_worker.py --batch): starting
    Python, torch and gloo once instead of once per method saves ~10 s per method. -> {method: (run folder, its stdout)}."""
    d = tmp_path_factory.mktemp('two')
    runs = {m: _args({**COMMON, **kw, 'out_dir': d / m}) for m, kw in RUNS.items()}
    (d / 'runs.json').write_text(json.dumps(runs))
    p = run_torchrun('dist_train_worker.py', '--batch', d / 'runs.json', timeout=300 + 60 * len(RUNS))
    parts = {b.split('\n', 1)[0].strip(): b for b in p.stdout.split('=== run ')[1:]}
    return {m: (d / m, parts.get(m, '')) for m in RUNS}

@pytest.mark.parametrize('method', list(RUNS))
def test_two_processes_match_one(method, tmp_path, monkeypatch, two_process_runs):
    kw = {**COMMON, **RUNS[method]}
    run, out = two_process_runs[method]
    assert not (run / 'error.txt').exists(), f'the 2-process {method} run failed:\n{(run / "error.txt").read_text()[-3000:]}'
    assert '2 process(es) on cpu' in out and '32 images per forward' in out, out[-2000:]

    dist_train_worker.patch(monkeypatch.setattr)  # the same fixed negatives in this process
    one = train('digits_swav', **kw, out_dir=str(tmp_path / 'one'))
    two = load_checkpoint(run)
    assert two['world_size'] == 2 and two['step'] == one['steps'] == 3
    l1, l2 = [h['loss'] for h in one['history']], [h['loss'] for h in two['history']]
    assert all(abs(a - b) <= LOSS_RTOL * abs(a) for a, b in zip(l1, l2)), f'losses: 1 process {l1}, 2 processes {l2}'

    s1, s2 = one['method'].state_dict(), two['model']
    init = build_method(one['cfg'], 1437)  # the weights both runs started from: they must have moved
    params = dict(one['method'].named_parameters())
    moved = max((params[k].detach() - v).abs().max().item() for k, v in init.named_parameters() if k in params)
    assert moved > 100 * STATE_ATOL, f'weights barely moved ({moved:.2e}); the comparison would be empty'
    # absolute on O(1) weights and buffers, relative on large ones (NPID's Z is ~1e8: float32 rounding alone is ~1e1 there)
    errs = {k: ((v.double() - s2[k].double()).abs().max() / max(1., v.double().abs().max().item())).item() for k, v in s1.items() if v.numel()}
    print(f'{method}: weights moved by up to {moved:.2e}; largest 1-vs-2-process difference {max(errs.values()):.2e} '
          f'({max(errs, key=errs.get)}); losses {l1} vs {l2}')
    for k, err in errs.items(): assert err <= STATE_ATOL, f'{method}: {k} differs by {err:.2e} between 1 and 2 processes'
