"""Why MoCo v2 drifted to ln(K+1) on the digits (chapter 13): chapter 13's digits run (width 8, 2x32 px views, batch 128,
K 512, m 0.99, tau 0.2, 4 BatchNorm groups, SGD lr 0.1 cosine, weight decay 5e-4) for 15 epochs, one knob changed at a time.

    python nbs/experiments/moco_digits_lr.py "" "head_bn=True" "lr=0.03" "moco_m=0.999" "bn_splits=1" "tau=0.5" "lr=0.015" "lr=0.03, epochs=30" "lr=0.1, wd=0."

Each argument is the keyword arguments of one run; each run prints its mean loss every second epoch, the mean positive
similarity q.k of its first and last epoch, and the held-out kNN (k=20) and quick linear probe of its trunk.
Output of the committed run: moco_digits_lr.txt (about 30 s a run on one thread).
"""
import copy, sys, torch
from swav_lit.core import set_seed
from swav_lit.data import Digits, DIGITS_STATS
from swav_lit.loop import short_run, accuracy_table
from swav_lit.models import SmallConvNet, MLPHead
from swav_lit.contrast import MoCo
torch.set_num_threads(1)
dtr, dte = Digits('train'), Digits('test')
set_seed(0); rand = SmallConvNet((8, 16, 32, 64))
VIEWS = dict(size_crops=[32], min_scale_crops=[0.14], max_scale_crops=[1.0], color_strength=0.5, blur_prob=0., stats=DIGITS_STATS)
def run(name, epochs=15, lr=0.1, head_bn=False, wd=5e-4, **kw):
    args = dict(hidden_dim=256, tau=0.2, moco_m=0.99, queue_length=512, bn_splits=4); args.update(kw)
    trunk = copy.deepcopy(rand)
    head = MLPHead(trunk.dim, 256, 128, bn=head_bn)
    m = MoCo(trunk, head, **args, **VIEWS)
    h, _ = short_run(m, dtr, epochs, lr, wd=wd)  # chapter 05's recipe, as chapter 13's runs
    tab = accuracy_table({'t': m.trunk}, dtr, dte)['t']
    per_ep = [sum(r['loss'] for r in h if r['epoch'] == e) / sum(1 for r in h if r['epoch'] == e) for e in range(epochs)]
    ps = [sum(r['pos_sim'] for r in h if r['epoch'] == e) / sum(1 for r in h if r['epoch'] == e) for e in range(epochs)]
    print(f"{name:28s} loss/epoch {' '.join(f'{x:.2f}' for x in per_ep[::2])} | pos_sim {ps[0]:.2f}->{ps[-1]:.2f} | kNN20 {tab['kNN k=20']:.3f} lin {tab['linear probe']:.3f} (collapse {m.collapse_loss:.2f})", flush=True)
for spec in sys.argv[1:]:
    kw = eval(f'dict({spec})'); run(spec, **kw)
