"""The two digits runs of chapter 33 (nbs/33_inspect.ipynb): `digits_swav` as it is, and with eps 0.05 and colour
strength 1.0 (a collapse). Each is trained one epoch at a time by the trainer (`max_steps`, then an exact resume),
and after every epoch the checkpoint is measured: the epoch's mean loss, kNN (k=20 and k=200) of the trunk on the
held-out digits, and `swav_lit.lens.usage_stats` of the prototypes on the training digits.

    python nbs/inspect/make_runs.py            # both runs; writes nbs/inspect/{normal,collapsed}_{steps,epochs}.csv
    python nbs/inspect/make_runs.py --out /tmp/x --epochs 2
"""
import argparse, csv, math, tempfile
from pathlib import Path
import numpy as np, torch, torch.nn as nn
from swav_lit.config import get_config
from swav_lit.build import build_method, build_data
from swav_lit.runs import load_checkpoint
from swav_lit.train import train
from swav_lit.data import DIGITS_STATS
from swav_lit.loop import knn_features
from swav_lit.lens import images_uint8, embed_images, proto_scores, usage_stats

RUNS = {'normal': {}, 'collapsed': dict(eps=0.05, color_strength=1.0)}

def usage_run(run_dir, epochs:int=15, **overrides) -> tuple[list[dict], list[dict]]:
    "Train `digits_swav` (+`overrides`) epoch by epoch into `run_dir`; (per-step records, per-epoch measurements)."
    cfg = get_config('digits_swav', epochs=epochs, out_dir=str(run_dir), progress=False, report=False, knn_every=0, **overrides)
    tr, te = build_data(cfg, 'train'), build_data(cfg, 'test')
    (xtr, ytr), (xte, yte) = images_uint8(tr), images_uint8(te)
    spe = len(build_data(cfg, 'ssl')) // cfg.batch_size
    rows = []
    def measure(m, epoch, loss):
        htr, hte = embed_images(m.trunk, xtr, DIGITS_STATS), embed_images(m.trunk, xte, DIGITS_STATS)
        z = embed_images(nn.Sequential(m.trunk, m.head), xtr, DIGITS_STATS)
        rows.append(dict(epoch=epoch, loss=loss, knn20=knn_features(htr, ytr, hte, yte, k=20),
                         knn200=knn_features(htr, ytr, hte, yte, k=200), **usage_stats(proto_scores(z, m.prototypes.weight), m.tau)))
    measure(build_method(cfg, len(tr)), 0, float('nan'))  # the trainer's initialisation (same seed)
    for e in range(1, epochs + 1):
        train(cfg, resume=run_dir if e > 1 else None, max_steps=e * spe)
        ck = load_checkpoint(run_dir)
        m = build_method(cfg, len(tr)); m.load_state_dict(ck['model'])
        measure(m, e, float(np.mean([h['loss'] for h in ck['history'] if h['epoch'] == e - 1])))
    return [dict(step=h['step'], epoch=h['epoch'], loss=h['loss']) for h in ck['history']], rows

def write_csv(rows:list[dict], path):
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, list(rows[0])); w.writeheader()
        w.writerows([{k: (f'{v:.6g}' if isinstance(v, float) else v) for k, v in r.items()} for r in rows])

def main(out=Path(__file__).parent, epochs:int=15, only=None):
    for name, ov in RUNS.items():
        if only and name not in only: continue
        with tempfile.TemporaryDirectory() as d:
            steps, rows = usage_run(Path(d) / name, epochs=epochs, **ov)
        write_csv(steps, Path(out) / f'{name}_steps.csv'); write_csv(rows, Path(out) / f'{name}_epochs.csv')
        print(f"{name}: final loss {rows[-1]['loss']:.3f} (ln K {rows[-1]['lnK']:.3f}), kNN k=20 {rows[-1]['knn20']:.3f}, "
              f"I {rows[-1]['I']:.3f}, argmax entropy {rows[-1]['H_argmax']:.3f}")

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default=str(Path(__file__).parent)); p.add_argument('--epochs', type=int, default=15)
    p.add_argument('--only', nargs='*')
    a = p.parse_args()
    main(Path(a.out), a.epochs, a.only)
