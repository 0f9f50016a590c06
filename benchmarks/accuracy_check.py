"""Does the batched multi-crop pipeline train as well as the per-image PIL one? SwAV on the digits (the multi-crop
chapter's run: small convnet 16-128, K 50, ε 0.02, colour 0.5, no blur, 2×32 + 6×16 crops, 10 epochs, SGD 0.05),
once with `multicrop_transform` (PIL, per image) and once with `MultiCropBatch` (uint8 batches), seeds 0 and 1;
weighted kNN (k 200, τ 0.07) on the held-out digits. `python benchmarks/accuracy_check.py` -> results/accuracy_batched_vs_pil.csv"""
from __future__ import annotations
import time
from common import torch, write_csv, device_note
import torchvision.transforms as T
from torch.utils.data import DataLoader
from swav_lit.core import set_seed
from swav_lit.data import Digits, SSLDataset, DIGITS_STATS
from swav_lit.loop import fit, knn_accuracy
from swav_lit.models import SmallConvNet
from swav_lit.swav import SwAV
from swav_lit.multicrop import MULTICROP_SMALL, multicrop_transform, multicrop_forward, MultiCropBatch, BatchViews

CROPS = dict(MULTICROP_SMALL, s=0.5, stats=DIGITS_STATS)

def run(batched:bool, seed:int, epochs:int=10):
    set_seed(seed)
    ev = T.Compose([T.ToTensor(), T.Normalize(*DIGITS_STATS)])
    tr, te = (DataLoader(SSLDataset(Digits(s), ev), batch_size=512) for s in ('train', 'test'))
    if batched:
        u8 = [(T.PILToTensor()(im), y) for im, y in Digits('train')]  # decoded once
        dl = DataLoader(SSLDataset(u8), batch_size=128, shuffle=True, drop_last=True, num_workers=1,
                        collate_fn=BatchViews(MultiCropBatch(**CROPS)))
    else:
        dl = DataLoader(SSLDataset(Digits('train'), multicrop_transform(**CROPS)), batch_size=128, shuffle=True,
                        drop_last=True, num_workers=1)
    m = SwAV(SmallConvNet((16, 32, 64, 128)), n_prototypes=50, hidden=512, eps=0.02, freeze_prototypes_niters=20,
             collapse_after=80, forward_fn=multicrop_forward)
    t = time.time()
    hist = fit(m, dl, epochs=epochs, lr=0.05, wd=1e-6, device='cpu', progress=False)
    secs = time.time() - t
    return dict(pipeline='batched' if batched else 'PIL', seed=seed, epochs=epochs, knn=round(knn_accuracy(m.trunk, tr, te), 4),
                final_loss=round(sum(h['loss'] for h in hist[-5:]) / 5, 4), train_s=round(secs, 1), device=device_note())

if __name__ == '__main__':
    rows = []
    for seed in (0, 1):
        for b in (False, True):
            rows.append(run(b, seed)); print(rows[-1], flush=True)
    write_csv(rows, 'accuracy_batched_vs_pil.csv')
