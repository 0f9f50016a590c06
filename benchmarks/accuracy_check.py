"""Does the batched multi-crop pipeline train as well as the per-image PIL one? The main job (`swav_lit_train`, the
`digits_swav` preset: small convnet, K 50, ε 0.02, colour 0.5, no blur, 2×32 + 6×16 crops, 15 epochs) run by the
trainer once with `aug='pil'` (`multicrop_transform`, per image) and once with `aug='batched'` (`MultiCropBatch`,
the default), seeds 0 to 3; weighted kNN (k 200, τ 0.07) on the 360 held-out digits after the last epoch.
Not a speed figure and not part of `run_all.py`: `python benchmarks/accuracy_check.py` (about 12 min on 2 cores)
-> results/accuracy_batched_vs_pil.csv"""
from __future__ import annotations
import sys, time, statistics, tempfile
from common import torch, write_csv, device_note
from swav_lit.train import train

SEEDS = [int(s) for s in sys.argv[1:]] or [0, 1, 2, 3]

def run(aug:str, seed:int, out:str) -> dict:
    t = time.time()
    r = train('digits_swav', aug=aug, seed=seed, report=False, progress=False, out_dir=out)
    return dict(aug=aug, seed=seed, epochs=r['cfg'].epochs, steps=r['steps'], knn_init=round(r['knn_init'], 4),
                knn=round(r['history'][-1]['knn'], 4), final_loss=round(statistics.mean(h['loss'] for h in r['history'][-11:]), 4),
                train_s=round(time.time() - t, 1), device=device_note())

if __name__ == '__main__':
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for seed in SEEDS:
            for aug in ('pil', 'batched'):
                rows.append(run(aug, seed, f'{d}/{aug}{seed}')); print(rows[-1], flush=True)
    write_csv(rows, 'accuracy_batched_vs_pil.csv')
    for aug in ('pil', 'batched'):
        k = [r['knn'] for r in rows if r['aug'] == aug]
        print(f'{aug:8s} kNN mean {statistics.mean(k):.3f} ± {statistics.stdev(k) if len(k) > 1 else 0:.3f} over seeds {SEEDS}')
