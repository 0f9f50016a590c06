"""The driver that trained the CPU-scale CIFAR-10 runs of chapter 40 (nbs/experiments/cpu/), kept as the record of
what ran: it was run at commit d9a4a5f, before the trainer split, as

    OMP_NUM_THREADS=1 python nbs/experiments/cpu_recipes.py cifar10_swav_cpu <run folder>
    OMP_NUM_THREADS=1 python nbs/experiments/cpu_recipes.py cifar10_npid_cpu <run folder> '{"n_neg": 1024, "epochs": 15}'

It patches that trainer's `train_views` so NPID and PIRL get batched views cut by `MultiCropBatch`, seeded per image
(PIRL's second view rotated by k*90 degrees, k from the image's seed). The values of RECIPES (with the overrides
above) are the presets `cifar10_*_cpu` of swav_lit.config; the supervised reference is cpu_supervised.py.
The multi-crop row of cpu/results.csv is a later run of the library itself (session 6, 2x32 + 4x24 px crops, the
preset's current values): its command is in cpu/runs/cifar10_swav_mc_cpu.meta.json; RECIPES keeps the first, 16 px version."""
import sys, json, torch, torch.nn as nn, torch.nn.functional as F
import swav_lit.train as tr
from swav_lit.multicrop import MultiCropBatch
from swav_lit.loop import Method
from swav_lit.data import SSLDataset
import torchvision.transforms as T

BASE = dict(data='cifar10', arch='small', width=16, cifar_stem=False, batch_size=256, size_crops=[32],
            min_scale_crops=[0.2], max_scale_crops=[1.0], color_strength=0.5, blur_prob=0.0, workers=1, cpu=True,
            knn_every=2, report=True)
SWAV = dict(BASE, method='swav', optimizer='lars', lr=0.6, final_lr=0.0006, wd=1e-6, trust_coef=0.02, lars_clip=True,
            lars_exclude_bn_bias=True, n_prototypes=100, feat_dim=128, hidden_dim=512, eps=0.05, tau=0.1,
            freeze_prototypes_iters=100, queue_length=0, n_crops=[2], crops_for_assign=[0, 1])
NCE = dict(BASE, optimizer='sgd', lr=0.03, momentum=0.9, wd=5e-4, schedule='cosine', final_lr=0.0, n_neg=4096,
           nce_tau=0.1, bank_momentum=0.5, feat_dim=128, batch_size=128)
RECIPES = {
    'cifar10_swav_cpu': dict(SWAV, epochs=18),
    'cifar10_swav_mc_cpu': dict(SWAV, epochs=10, n_crops=[2, 6], size_crops=[32, 16], min_scale_crops=[0.2, 0.25],
                                max_scale_crops=[1.0, 0.6]),
    'cifar10_npid_cpu': dict(NCE, method='npid', epochs=20),
    'cifar10_pirl_cpu': dict(NCE, method='pirl', nce_loss='pirl', nce_tau=0.07, pirl_lambda=0.5, pretext='rotation', epochs=15),
}

class First:
    "One view: MultiCropBatch's single crop as a tensor."
    def __init__(self, mcb): self.mcb = mcb
    def __call__(self, x, seeds=None): return self.mcb(x, seeds)[0]

class RotSecond:
    "PIRL-rotation views: [view, rot90(view', k)], k ~ U{0..3} from each image's own seed."
    def __init__(self, mcb): self.mcb = mcb
    def __call__(self, x, seeds=None):
        v0, v1 = self.mcb(x, seeds)
        ks = [int(torch.randint(4, (1,), generator=torch.Generator().manual_seed(s ^ 0x5EED))) for s in seeds]
        v1 = torch.stack([torch.rot90(v, k, dims=(-2, -1)) for v, k in zip(v1, ks)])
        return [v0, v1]

_orig = tr.train_views
def train_views(cfg, ds, method, custom=False):
    if cfg.method == 'swav' and not custom: return _orig(cfg, ds, method, custom)
    mcb = MultiCropBatch(size_crops=[cfg.size_crops[0]], nmb_crops=[2 if cfg.method == 'pirl' else 1],
                         min_scale=[cfg.min_scale_crops[0]], max_scale=[cfg.max_scale_crops[0]], s=cfg.color_strength,
                         p_blur=cfg.blur_prob, stats=tr.data_stats(cfg))
    tfm = RotSecond(mcb) if cfg.method == 'pirl' else First(mcb)
    return SSLDataset(ds, T.PILToTensor()), tr.SeededBatchViews(tfm, cfg.seed)
tr.train_views = train_views

class Supervised(Method):
    "The same trunk trained with labels: cross-entropy of a linear classifier on one augmented view."
    def __init__(self, trunk, labels, n_classes=10, transform=None):
        super().__init__(); self.trunk, self.fc = trunk, nn.Linear(trunk.dim, n_classes)
        self.register_buffer('labels', torch.as_tensor(labels)); self.transform = transform
    def forward(self, views, index):
        logits = self.fc(self.trunk(views)); loss = F.cross_entropy(logits, self.labels[index])
        return loss, {'acc': (logits.argmax(1) == self.labels[index]).float().mean().item()}

if __name__ == '__main__':
    name, out = sys.argv[1], sys.argv[2]
    extra = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    if name == 'cifar10_supervised_cpu':
        cfg = tr.get_config(dict(NCE, method='npid', epochs=20, lr=0.05, wd=5e-4, name=name, out_dir=out, **extra))
        ds = tr.build_data(cfg, 'ssl')
        m = Supervised(tr.build_trunk(cfg), ds.targets)
        tr.train(cfg, module=m)
    else:
        tr.train(dict(RECIPES[name], name=name, out_dir=out, **extra))
