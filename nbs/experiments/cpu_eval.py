"""Score the CPU-scale CIFAR-10 runs of chapter 40 beside raw pixels and random init, on all 50,000/10,000 images.

    python nbs/experiments/cpu_eval.py RUN_DIR [RUN_DIR ...]      # each a finished `swav_lit_train` run folder
    python nbs/experiments/cpu_eval.py --baselines                # raw pixels and the random-init trunk

For every trunk: weighted kNN (cosine, tau 0.07) at k = 20 and k = 200 with the 50,000 training images as the bank,
and the quick linear probe (logistic regression on the frozen, standardised features), all from one pass of the
evaluation view (ToTensor + CIFAR-10 Normalize) over each split. Raw pixels are the same view's 3,072 values, centred
on the training images' mean. Appends one row per trunk to `cpu/results.csv` (replacing an older row of the same name)
and copies each run's per-step `metrics.csv` to `cpu/metrics/<name>.csv`.
"""
import sys, csv, json, shutil, time
from pathlib import Path
import torch
from swav_lit.config import get_config
from swav_lit.build import build_data, build_trunk
from swav_lit.runs import load_trunk
from swav_lit.augment import eval_transform
from swav_lit.data import STATS
from swav_lit.loop import features, pixel_features, probe_row  # the same probes as the trainer's report and the zoo's cards

HERE = Path(__file__).resolve().parent / 'cpu'
RESULTS = HERE / 'results.csv'
KEYS = ['name', 'method', 'knn20', 'knn200', 'linear', 'final_loss', 'epochs', 'steps', 'train_wall_s', 'train_cpu_s',
        'img_s', 'command', 'note']


def score(trunk, cfg):
    tfm = eval_transform(STATS[cfg.data])
    tr, te = build_data(cfg, 'train'), build_data(cfg, 'test')
    with torch.no_grad(): return probe_row(*features(trunk, tr, tfm), *features(trunk, te, tfm))

def pixels(cfg):
    "Raw-pixel probes: the evaluation view flattened, centred on the training mean (`pixel_features`)."
    tr, te = build_data(cfg, 'train'), build_data(cfg, 'test')
    return probe_row(*pixel_features(tr, te, eval_transform(STATS[cfg.data])))

def upsert(rows):
    old = list(csv.DictReader(open(RESULTS))) if RESULTS.exists() else []
    names = {r['name'] for r in rows}
    out = [r for r in old if r['name'] not in names] + rows
    HERE.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, 'w', newline='') as f:
        w = csv.DictWriter(f, KEYS, extrasaction='ignore'); w.writeheader(); w.writerows(out)

def run_row(run:Path):
    trunk, cfg = load_trunk(run)
    t = time.time(); acc = score(trunk.eval(), cfg)
    meta = json.loads((run / 'meta.json').read_text()) if (run / 'meta.json').exists() else {}
    hist = list(csv.DictReader(open(run / 'metrics.csv')))
    (HERE / 'metrics').mkdir(parents=True, exist_ok=True); shutil.copy(run / 'metrics.csv', HERE / 'metrics' / f'{cfg.name}.csv')
    last = [float(h['loss']) for h in hist if int(h['epoch']) == int(hist[-1]['epoch'])]
    print(f'{cfg.name}: kNN20 {acc["knn20"]:.3f} kNN200 {acc["knn200"]:.3f} linear {acc["linear"]:.3f} ({time.time() - t:.0f} s)')
    return dict(name=cfg.name, method=meta.get('method', cfg.method), **acc, final_loss=sum(last) / len(last),
                epochs=cfg.epochs, steps=hist[-1]['step'], img_s=meta.get('img_s', ''),
                train_wall_s=meta.get('train_wall_s', ''), train_cpu_s=meta.get('train_cpu_s', ''),
                command=meta.get('command', f'swav_lit_train --config {cfg.name}'), note=meta.get('note', ''))

if __name__ == '__main__':
    args = sys.argv[1:]
    if args == ['--baselines']:
        cfg = get_config('cifar10_swav', arch='small', width=16, cifar_stem=False)
        upsert([dict(name='pixels', method='raw pixels (mean-centred)', **pixels(cfg), command='python nbs/experiments/cpu_eval.py --baselines'),
                dict(name='random_init', method='small convnet w16, random init (seed 0)', **score(build_trunk(cfg).eval(), cfg),
                     command='python nbs/experiments/cpu_eval.py --baselines')])
    else: upsert([run_row(Path(a)) for a in args])
    for r in csv.DictReader(open(RESULTS)): print(r['name'], r['knn20'], r['knn200'], r['linear'])
