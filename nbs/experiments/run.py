"""The runs of the experiments chapter (nbs/40_experiments.ipynb): every method at one equal budget, and the ablations.

    cd <checkout> && OMP_NUM_THREADS=2 nice -n 10 python nbs/experiments/run.py          # all runs, seeds 0 1 2; skips finished ones
    python nbs/experiments/run.py --only npid pirl_jigsaw --seeds 0                        # some runs, one seed
    python nbs/experiments/run.py --reduce                                                 # each run reduced (1 epoch, 100 images)

Each self-supervised run is exactly `swav_lit_train --config <preset> --key value ...` (its `command` column; the trainer's
`main` calls the same `train`); the supervised reference is the same trainer with the library's `Supervised` method
(`--method supervised`: labels looked up by image index). Each trunk is then scored by `swav_lit_eval <run folder> --knn --linear quick` (its `eval_command` column).
Writes `runs.csv` (the main table) and `ablations.csv` (one row per run and seed) and `metrics/<run>_s<seed>.csv` (the trainer's
per-step metrics.csv) beside this file;
checkpoints stay in data/experiments/ (gitignored).
"""
import sys, csv, time, shutil, argparse
from pathlib import Path
import torch, torch.nn as nn
from swav_lit.train import train
from swav_lit.config import get_config
from swav_lit.build import build_data, eval_view
from swav_lit.runs import write_csv
from swav_lit.eval import cli as eval_cli, accuracy
from swav_lit.data import SSLDataset
from torch.utils.data import DataLoader

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ROOT = REPO / 'data' / 'experiments'  # run folders (checkpoints): never committed

# the equal budget of the main table, and the tinier one of the ablations (sized for 2 CPU cores shared with other jobs)
COMMON = dict(arch='small', width=32, batch_size=32, workers=1, ckpt_every=100, knn_every=0, report=False,
              progress=False, cpu=True, n_test=2000)  # kNN and the probe only in the evaluation that follows each run
MAIN = dict(COMMON, n_train=500, epochs=4)
ABL = dict(COMMON, n_train=250, epochs=4)
# the committed results were trained before the CIFAR presets followed their sources (lemniscate: lr 0.03, steps at
# epochs 120 and 160; solo-learn: crop scale 0.08, no LARS or weight decay on BatchNorm and biases): these keep them
OLD_NCE = dict(lr=0.1, schedule='cosine')
OLD_SWAV = dict(min_scale_crops=[0.14], lars_exclude_bn_bias=False)
# NCE's noise term assumes n_neg/n_data small: keep the presets' 4096/50000 ≈ 0.08 on the smaller datasets
# and the per-image PIL views they were trained with (the trainer now cuts NPID's and PIRL-rotation's views per batch)
NCE, ABL_NCE = dict(OLD_NCE, n_neg=40, aug='pil'), dict(OLD_NCE, n_neg=20, aug='pil')
SWAV = dict(OLD_SWAV, n_prototypes=100, freeze_prototypes_iters=15, queue_length=0)  # K=100 for 10 classes; prototypes frozen 1 epoch
MULTICROP = dict(n_crops=[2, 6], size_crops=[32, 16], min_scale_crops=[0.14, 0.14], max_scale_crops=[1.0, 0.5])
ABL_SWAV = dict(ABL | SWAV, freeze_prototypes_iters=7)

# name -> (group, method label, preset, overrides)
RUNS = {
    # the committed supervised rows were trained by an earlier class of this script (its view: crop and flip, no colour
    # distortion); the library's Supervised trains on NPID's view (colour strength 0.5)
    'supervised':       ('main', 'supervised (labels)', 'cifar10_npid', MAIN | OLD_NCE | dict(method='supervised', aug='pil')),
    'npid':             ('main', 'NPID', 'cifar10_npid', MAIN | NCE),
    'pirl_jigsaw':      ('main', 'PIRL jigsaw', 'cifar10_pirl', dict(MAIN | NCE, pretext='jigsaw')),
    'pirl_rotation':    ('main', 'PIRL rotation', 'cifar10_pirl', dict(MAIN | NCE, pretext='rotation')),
    'pirl_both':        ('main', 'PIRL rotation+jigsaw', 'cifar10_pirl', dict(MAIN | NCE, pretext='rotation+jigsaw')),
    'swav_2crop':       ('main', 'SwAV 2x32', 'cifar10_swav', MAIN | SWAV),
    'swav_multicrop':   ('main', 'SwAV 2x32+6x16', 'cifar10_swav', MAIN | SWAV | MULTICROP),
    # the same multi-crop run with the per-image PIL views instead of the batched ones (the trainer's default for SwAV)
    'swav_multicrop_pil': ('views', 'SwAV 2x32+6x16, PIL views', 'cifar10_swav', MAIN | SWAV | MULTICROP | dict(aug='pil')),
    # ablations: 250 images, 4 epochs
    'abl_pirl_lam0':    ('pirl_lambda', 'PIRL jigsaw λ=0', 'cifar10_pirl', dict(ABL | ABL_NCE, pirl_lambda=0.0)),
    'abl_pirl_lam0.5':  ('pirl_lambda', 'PIRL jigsaw λ=0.5', 'cifar10_pirl', dict(ABL | ABL_NCE, pirl_lambda=0.5)),
    'abl_pirl_lam1':    ('pirl_lambda', 'PIRL jigsaw λ=1', 'cifar10_pirl', dict(ABL | ABL_NCE, pirl_lambda=1.0)),
    'abl_swav_eps0.05_K100': ('swav_eps_K', 'SwAV ε=0.05 K=100', 'cifar10_swav', ABL_SWAV),
    'abl_swav_eps0.02_K100': ('swav_eps_K', 'SwAV ε=0.02 K=100', 'cifar10_swav', dict(ABL_SWAV, eps=0.02)),
    'abl_swav_eps0.05_K30':  ('swav_eps_K', 'SwAV ε=0.05 K=30', 'cifar10_swav', dict(ABL_SWAV, n_prototypes=30)),
    'abl_swav_eps0.05_K300': ('swav_eps_K', 'SwAV ε=0.05 K=300', 'cifar10_swav', dict(ABL_SWAV, n_prototypes=300)),
    'abl_swav_b8_noqueue':   ('swav_queue', 'SwAV batch 8, no queue', 'cifar10_swav',
                              dict(ABL_SWAV, batch_size=8, freeze_prototypes_iters=31)),
    'abl_swav_b8_queue':     ('swav_queue', 'SwAV batch 8, queue 80 from epoch 2', 'cifar10_swav',
                              dict(ABL_SWAV, batch_size=8, freeze_prototypes_iters=31, queue_length=80, epoch_queue_starts=1)),
}

def command(preset:str, ov:dict) -> str:
    "The `swav_lit_train` command line of a run."
    val = lambda v: ' '.join(map(str, v)) if isinstance(v, list) else str(v)
    return f'swav_lit_train --config {preset} ' + ' '.join(f'--{k} {val(v)}' for k, v in ov.items())

SEEDS = [0, 1, 2]

def run_one(name:str, seed:int=0, root=ROOT, **reduce) -> dict:
    "Train run `name` of `RUNS` from `seed` (with `reduce` overrides on top, e.g. epochs=1, n_train=200), evaluate it -> its row."
    group, label, preset, ov = RUNS[name]
    ov = dict(ov, seed=seed, **reduce, name=name, out_dir=str(Path(root) / f'{name}_s{seed}'))
    cfg = get_config(dict(get_config(preset).__dict__, **ov))  # = swav_lit_train --config preset --key value ...
    res = train(cfg)
    ev = ['--knn', '--knn-k', '200', '--linear', 'quick', '--device', 'cpu'] + ([] if name == 'npid' else ['--no-baseline'])
    rows = {r['metric']: r for r in eval_cli([ov['out_dir']] + ev)}
    rows['kNN'] = rows['kNN k=200']  # the committed tables: k=200 on banks of 250 and 500 images (before the k <= N/(2C) rule)
    h = res['history']
    row = dict(name=name, group=group, method=label, epochs=cfg.epochs, n_train=cfg.n_train, n_test=cfg.n_test,
               batch_size=cfg.batch_size, seed=cfg.seed, arch=f'{cfg.arch} w{cfg.width}', steps=res['steps'],
               train_s=round(res['seconds'], 1), knn_init=res['knn_init'], knn=rows['kNN']['trained'],
               linear=rows['linear (quick)']['trained'], final_loss=h[-1]['loss'],
               knn_random_init=rows['kNN'].get('random init'), linear_random_init=rows['linear (quick)'].get('random init'))
    if name == 'supervised':  # its own classifier on the held-out images, for reference
        dl = DataLoader(SSLDataset(build_data(cfg, 'test'), eval_view(cfg)), batch_size=256)
        row['sup_test_acc'] = accuracy(nn.Sequential(res['method'].trunk, res['method'].fc), dl, 'cpu')
    row['command'] = command(preset, {k: v for k, v in ov.items() if k != 'name'})
    row['eval_command'] = 'swav_lit_eval ' + ' '.join([ov['out_dir']] + ev)
    for k in ('command', 'eval_command'): row[k] = row[k].replace(f'{REPO}/', '')  # paths from the checkout
    return row

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--only', nargs='*', help='run these names only (default: all)')
    p.add_argument('--seeds', nargs='*', type=int, default=SEEDS, help=f'seeds of each run (default: {SEEDS})')
    p.add_argument('--reduce', action='store_true', help='1 epoch on 100 train / 100 test images, into /tmp; writes nothing here')
    p.add_argument('--redo', action='store_true', help='run again even where the CSV already has the row')
    a = p.parse_args(argv)
    names = a.only or list(RUNS)
    if a.reduce:
        for n in names: print(run_one(n, a.seeds[0], Path('/tmp/swav_lit_exp_reduced'), epochs=1, n_train=100, n_test=100))
        return
    mdir = HERE / 'metrics'
    mdir.mkdir(exist_ok=True)
    key = lambda r: (r['name'], int(r['seed']))
    order = lambda k: (list(RUNS).index(k[0]), k[1])
    for seed in a.seeds:  # seed by seed: a partial run still has whole tables
        for n in names:
            out = HERE / ('runs.csv' if RUNS[n][0] == 'main' else 'ablations.csv')  # the main table; the rest
            rows = {key(r): r for r in csv.DictReader(open(out))} if out.exists() else {}
            if (n, seed) in rows and not a.redo: print(f'{n} seed {seed}: in {out.name}, skipped'); continue
            t = time.time()
            row = run_one(n, seed)
            row['wall_s'] = round(time.time() - t, 1)  # training + evaluation
            shutil.copy(ROOT / f'{n}_s{seed}' / 'metrics.csv', mdir / f'{n}_s{seed}.csv')
            rows = {key(r): r for r in csv.DictReader(open(out))} if out.exists() else {}  # re-read: another process may write too
            rows[(n, seed)] = row
            keys = list(dict.fromkeys(k for r in rows.values() for k in r))
            write_csv([rows[k] for k in sorted(rows, key=order) if k[0] in RUNS], out, keys)
            print(f'{n} seed {seed}: kNN {row["knn"]:.3f}, linear {float(row["linear"]):.3f}, {row["train_s"]} s training', flush=True)

if __name__ == '__main__': main()
