"""(b) One full SwAV training step (forward, Sinkhorn, loss, backward, SGD step), images per second, swav_lit's
`SwAV` against lightly's `SwaVProjectionHead` + `SwaVPrototypes` + `SwaVLoss` with the same backbone (the small
convnet), crops, batch, K = 3000, head 256 -> 2048 -> 128, SGD (lr 0.1, momentum 0.9, wd 1e-6), no queue.

lightly's step is the one of its SwaV example: each crop through backbone and head on its own
(`[model(v) for v in views]`). swav_lit's `multicrop_forward` sends each run of equal-resolution crops through as one
batch, and the head all crops at once, as `main_swav.py` does. A row 'lightly-grouped' gives lightly that same
forward, for reference.

swav_lit's trunk holds its weights channels-last, as the trainer does by default (`Config.channels_last`); lightly runs
as shipped (contiguous). A row 'lightly-channels_last' gives lightly's per-crop step that same layout, for reference:
the targets compare with 'lightly' as a user would run it.

Both losses are checked to agree on the same inputs and weights (grouped forward for both, same batch-norm
statistics). lightly's defaults already are the paper's: temperature 0.1, 3 Sinkhorn iterations, ε 0.05."""
from __future__ import annotations
import copy, statistics
from common import torch, lightly_path, write_csv, device_note, interleaved
import torch.nn as nn, torch.nn.functional as F
from swav_lit.core import set_seed
from swav_lit.models import SmallConvNet, MLPHead
from swav_lit.loop import train_step
from swav_lit.multicrop import MultiCropSwAV, crop_groups

K, DIM, HIDDEN = 3000, 128, 2048
SHAPES = [(32, 0), (32, 6), (64, 2), (64, 6)]  # (batch, number of 16 px crops beside the two 32 px crops)

def build(seed=0):
    "swav_lit's SwAV and lightly's three modules holding the same weights."
    lightly_path()
    from lightly.models.modules import SwaVProjectionHead, SwaVPrototypes
    from lightly.loss import SwaVLoss
    set_seed(seed)
    m = MultiCropSwAV(SmallConvNet(), MLPHead(256, HIDDEN, DIM), n_prototypes=K, feat_dim=DIM, freeze_prototypes_iters=0,
                      queue_length=0)
    lh = SwaVProjectionHead(256, HIDDEN, DIM)
    for a, b in zip(lh.layers, m.head.net):  # lightly's first Linear has no bias: before batch norm it cancels
        a.load_state_dict({k: v for k, v in b.state_dict().items() if k in a.state_dict()})
    lp = SwaVPrototypes(DIM, K); lp.heads[0].weight.data.copy_(m.prototypes.weight.data)
    lp.heads[0].bias.data.zero_()  # lightly's prototype layer has a bias (SwAV's has none): zero, as at SwAV's start
    lm = nn.ModuleDict(dict(backbone=copy.deepcopy(m.trunk), head=lh, prototypes=lp))
    m.to(memory_format=torch.channels_last)  # as the trainer does (Config.channels_last, on by default)
    return m, lm, SwaVLoss(temperature=0.1, sinkhorn_iterations=3, sinkhorn_epsilon=0.05)

def lightly_scores(lm, views, grouped:bool):
    "lightly's forward: prototype scores of each crop, per crop (its example) or grouped by resolution."
    f = lambda h: lm['prototypes'](F.normalize(lm['head'](h), dim=1))
    if not grouped: return [f(lm['backbone'](v).flatten(1)) for v in views]
    h = torch.cat([lm['backbone'](torch.cat(views[s:e])).flatten(1) for s, e in crop_groups(views)])
    return list(f(h).split(len(views[0])))  # the head sees all crops at once, as in main_swav.py

def opt_for(mod): return torch.optim.SGD(mod.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-6)

def swav_lit_step(m, opt, views):
    "One step of the library's own `train_step` (the hooks, forward, backward, the optimiser step)."
    return train_step(m, opt, iter([(views, None, torch.arange(len(views[0])))]))[0]

def lightly_step(lm, crit, opt, views, grouped=False):
    lm['prototypes'].normalize()
    s = lightly_scores(lm, views, grouped)
    loss = crit(s[:2], s[2:])
    opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    return loss

def views_for(B, n_small, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(B, 3, 32, 32, generator=g) for _ in range(2)] + [torch.randn(B, 3, 16, 16, generator=g) for _ in range(n_small)]

def check_losses(B=32, n_small=6, dtype=torch.float64):
    "The two losses on the same inputs and weights, before any step, computed in `dtype`."
    m, lm, crit = build()
    m, lm = m.to(dtype), lm.to(dtype)
    views = [v.to(dtype) for v in views_for(B, n_small)]
    m.before_step(0); lm['prototypes'].normalize()
    a = m(views, None)[0].item()
    b = crit(*(lambda s: (s[:2], s[2:]))(lightly_scores(lm, views, grouped=True))).item()
    return a, b

def main(rounds:int=8, steps:int=3):
    a, b = check_losses()  # float64 everywhere but swav_lit's Sinkhorn, which always runs in float32
    tol = 1e-6 * abs(a)
    a32, b32 = check_losses(dtype=torch.float32)
    print(f'  loss on the same inputs, float64: swav_lit {a:.9f}  lightly {b:.9f}  |diff| {abs(a-b):.1e} (tolerance {tol:.1e}); '
          f'float32: |diff| {abs(a32 - b32):.1e}', flush=True)
    rows = []
    for B, n in SHAPES:
        m, lm, crit = build()
        views = views_for(B, n)
        om, ol, og = opt_for(m), opt_for(lm), None
        lg = copy.deepcopy(lm); og = opt_for(lg)
        lc = copy.deepcopy(lm).to(memory_format=torch.channels_last); oc = opt_for(lc)
        runs = dict(swav_lit=lambda: swav_lit_step(m, om, views), lightly=lambda: lightly_step(lm, crit, ol, views),
                    **{'lightly-grouped': lambda: lightly_step(lg, crit, og, views, grouped=True),
                       'lightly-channels_last': lambda: lightly_step(lc, crit, oc, views)})
        med = interleaved(runs, rounds, steps)
        for k, t in med.items():
            rows.append(dict(batch=B, small_crops=n, impl=k, step_ms=round(t * 1e3, 2), images_per_s=round(B / t, 1),
                             device=device_note()))
        print(f'  step B={B:3d} 2x32+{n}x16: ' + '  '.join(f'{k} {B / t:6.0f} img/s' for k, t in med.items()), flush=True)
    write_csv(rows, 'train_step.csv')
    ratios = {}
    for r in rows: ratios.setdefault((r['batch'], r['small_crops']), {})[r['impl']] = r['images_per_s']
    rs = [v['swav_lit'] / v['lightly'] for v in ratios.values()]
    return [dict(target='step: swav_lit / lightly, geometric mean', ratio=statistics.geometric_mean(rs), need=1.0),
            dict(target=f'step: swav_lit / lightly, slowest of {len(rs)} shapes', ratio=min(rs), need=1.0),
            dict(target='step: losses agree, |diff| / tolerance (need <= 1)', ratio=abs(a - b) / tol, need=1.0, below=True)]

if __name__ == '__main__': print(main())
