"""(e) Time to accuracy on CIFAR-10: swav_lit's SwAV, trained by its own trainer (`swav_lit.train.train` with the
preset `cifar10_swav_cpu`), against lightly's SwAV driven as lightly's SwaV example drives it (its `SwaVTransform`,
`SwaVProjectionHead`, `SwaVPrototypes` with frozen prototypes, `SwaVLoss`; every crop through backbone and head on
its own). Same trunk (the small convnet, the same random init), data (all 50,000 training images), recipe (batch,
K, ε, τ, crops, colour strength, no blur, the same LARS and cosine schedule, the same number of epochs) and seed,
on the same machine in one run, one after the other.

After every epoch each side's trunk is scored by weighted kNN (k = 200, τ = 0.07) on the 10,000 test images; the
clock counts training only (kNN time excluded). The figure is kNN against training minutes; the ratio is the time
swav_lit needs to reach lightly's final kNN (linear interpolation between epochs) over lightly's total time.
Target: at most 2/3.

    python bench_time_to_acc.py [--epochs 6]          # about 25 minutes on the idle 2-core machine
    python bench_time_to_acc.py --epochs 3 --lit_epochs 4   # swav_lit on its own (cosine) budget of 4 epochs

Both sides train the same algorithm, so at equal epochs their kNN differs only by the seed's noise (3 epochs, idle:
swav_lit 0.444 in 3.1 min, lightly 0.448 in 7.3 min): a curve that ends 0.004 lower never "reaches" the other's
final value, whatever its speed. A time-to-accuracy race lets the faster side spend the time it saves, as here with
`--lit_epochs`: each library's run is still one complete recipe (warm-up, cosine to the end), only its length differs.
"""
from __future__ import annotations
import argparse, json, time
from common import torch, lightly_path, write_csv, device_note, RESULTS
import torch.nn as nn
from torch.utils.data import DataLoader
import matplotlib; matplotlib.use('Agg')
import matplotlib.pyplot as plt

def swav_lit_run(cfg, out):
    "Train with swav_lit's trainer; per epoch: (training seconds, kNN)."
    from swav_lit.train import train
    res = train(cfg, out_dir=str(out), knn_every=1, report=False, progress=False, ckpt_every=10**6, overwrite=True)  # a scratch folder
    hist, rows, t = res['history'], [], 0.
    for e in range(cfg.epochs):
        recs = [h for h in hist if h['epoch'] == e]
        t += len(recs) * cfg.batch_size / recs[-1]['img_s']  # img_s: the epoch's images over its training wall time
        rows.append(dict(lib='swav_lit', epoch=e + 1, minutes=t / 60, knn=recs[-1]['knn'], loss=recs[-1]['loss']))
    return rows, res['knn_init']

def lightly_run(cfg, knn_dls):
    "lightly's SwaV example loop on the same trunk, data and recipe; per epoch: (training seconds, kNN)."
    lightly_path()
    from lightly.transforms.swav_transform import SwaVTransform
    from lightly.models.modules import SwaVProjectionHead, SwaVPrototypes
    from lightly.loss import SwaVLoss
    from swav_lit.build import build_trunk, build_data, make_optimizer, lr_at
    from swav_lit.data import STATS
    from swav_lit.loop import knn_accuracy
    from swav_lit.core import set_seed
    set_seed(cfg.seed)
    mean, std = STATS[cfg.data]
    tfm = SwaVTransform(crop_sizes=tuple(cfg.size_crops), crop_counts=tuple(cfg.n_crops),
                        crop_min_scales=tuple(cfg.min_scale_crops), crop_max_scales=tuple(cfg.max_scale_crops),
                        cj_strength=cfg.color_strength, gaussian_blur=cfg.blur_prob, normalize=dict(mean=mean, std=std))
    ds = build_data(cfg, 'ssl'); ds.transform = tfm
    dl = DataLoader(ds, batch_size=cfg.batch_size, shuffle=True, drop_last=True, num_workers=cfg.workers,
                    generator=torch.Generator().manual_seed(cfg.seed), persistent_workers=cfg.workers > 0)
    trunk = build_trunk(cfg)  # the same random init as swav_lit's run
    m = nn.ModuleDict(dict(backbone=trunk, head=SwaVProjectionHead(trunk.dim, cfg.hidden_dim, cfg.feat_dim),
                           prototypes=SwaVPrototypes(cfg.feat_dim, cfg.n_prototypes,
                                                     n_steps_frozen_prototypes=cfg.freeze_prototypes_iters)))
    crit = SwaVLoss(temperature=cfg.tau, sinkhorn_iterations=cfg.sinkhorn_iters, sinkhorn_epsilon=cfg.eps)
    opt, spe = make_optimizer(m, cfg), len(dl)
    rows, t, step = [], 0., 0
    for e in range(cfg.epochs):
        m.train(); t0 = time.time()
        for views, _ in dl:
            for g in opt.param_groups: g['lr'] = lr_at(step, cfg, spe)
            m['prototypes'].normalize()
            p = [m['prototypes'](nn.functional.normalize(m['head'](m['backbone'](v).flatten(1)), dim=1), step) for v in views]
            n_high = cfg.n_crops[0]
            loss = crit(p[:n_high], p[n_high:])
            opt.zero_grad(); loss.backward(); opt.step(); step += 1
        t += time.time() - t0
        knn = knn_accuracy(trunk, *knn_dls, k=cfg.knn_k, tau=cfg.knn_tau)
        rows.append(dict(lib='lightly', epoch=e + 1, minutes=t / 60, knn=knn, loss=loss.item()))
        print(f'lightly epoch {e + 1}: {t / 60:.1f} min, kNN {knn:.3f}', flush=True)
    return rows

def time_to(rows, target):
    "Minutes at which the kNN curve of `rows` first reaches `target` (linear between epochs), or None."
    prev = dict(minutes=0., knn=-1.)
    for r in rows:
        if r['knn'] >= target:
            if prev['knn'] < 0: return r['minutes']
            return prev['minutes'] + (r['minutes'] - prev['minutes']) * (target - prev['knn']) / (r['knn'] - prev['knn'])
        prev = r
    return None

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--preset', default='cifar10_swav_cpu')  # a preset name or a .json config
    ap.add_argument('--lit_epochs', type=int, default=0)  # swav_lit's own budget (its cosine spans it); 0 = --epochs, as lightly
    a = ap.parse_args()
    from swav_lit.config import get_config
    from swav_lit.build import build_data, eval_view
    from swav_lit.data import SSLDataset
    cfg = get_config(a.preset, epochs=a.epochs)
    ev = eval_view(cfg)
    knn_dls = [DataLoader(SSLDataset(build_data(cfg, s), ev), batch_size=512) for s in ('train', 'test')]
    out = RESULTS / '_tta_run'
    lit, knn0 = swav_lit_run(get_config(a.preset, epochs=a.lit_epochs or a.epochs), out)
    for r in lit: print(f"swav_lit epoch {r['epoch']}: {r['minutes']:.1f} min, kNN {r['knn']:.3f}", flush=True)
    lig = lightly_run(cfg, knn_dls)
    rows = lit + lig
    target, T_l = lig[-1]['knn'], lig[-1]['minutes']
    t_s = time_to(lit, target)
    ratio = t_s / T_l if t_s is not None else float('nan')
    write_csv(rows, RESULTS / 'time_to_accuracy.csv')
    summary = dict(preset=a.preset, epochs=a.epochs, lit_epochs=a.lit_epochs or a.epochs, knn_init=knn0, lightly_final_knn=target, lightly_minutes=T_l,
                   swav_lit_minutes_to_lightly_final=t_s, swav_lit_final_knn=lit[-1]['knn'],
                   swav_lit_minutes=lit[-1]['minutes'], ratio=ratio, target=2 / 3,
                   verdict='PASS' if ratio <= 2 / 3 else 'FAIL', device=device_note())
    (RESULTS / 'time_to_accuracy.json').write_text(json.dumps(summary, indent=1))
    fig, ax = plt.subplots(figsize=(6, 4))
    for lib, rs in ((f'swav_lit ({len(lit)} epochs)', lit), (f'lightly ({len(lig)} epochs)', lig)):
        ax.plot([0] + [r['minutes'] for r in rs], [knn0] + [r['knn'] for r in rs], 'o-', label=lib)
    ax.axhline(target, ls=':', c='gray', lw=1)
    if t_s is not None: ax.axvline(t_s, ls=':', c='C0', lw=1)
    ax.set(xlabel='training wall-clock minutes (2 CPU cores)', ylabel='kNN top-1 (k=200), CIFAR-10 test')
    ax.set_title(f'SwAV, {a.preset} (lightly {a.epochs} epochs, swav_lit {a.lit_epochs or a.epochs}):\n'
                 f'time to lightly\'s final kNN, ratio {ratio:.2f}', fontsize=9)
    ax.legend(); fig.tight_layout(); fig.savefig(RESULTS / 'time_to_accuracy.png', dpi=120)
    print(json.dumps(summary, indent=1))

if __name__ == '__main__': main()
