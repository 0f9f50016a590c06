"""Supervised reference at the NPID CPU recipe's budget (labels looked up by image index), through the trainer, written
against the Method contract: python nbs/experiments/cpu_supervised.py <run folder>."""
import sys, torch, torch.nn as nn, torch.nn.functional as F
from swav_lit.config import get_config
from swav_lit.build import build_data, build_trunk
from swav_lit.train import train
from swav_lit.loop import Method
from swav_lit.data import STATS
from swav_lit.multicrop import MultiCropBatch
from swav_lit.npid import npid_transform

class Supervised(Method):
    def __init__(self, trunk, labels, cfg):
        super().__init__(); self.trunk, self.fc = trunk, nn.Linear(trunk.dim, 10)
        self.register_buffer('labels', torch.as_tensor(labels))
        self.transform = npid_transform(32, STATS['cifar10'], (0.2, 1.0))
        mcb = MultiCropBatch(size_crops=[32], n_crops=[1], min_scale_crops=[0.2], max_scale_crops=[1.0], color_strength=0.5, blur_prob=0.0, stats=STATS['cifar10'])
        self.batch_transform = lambda x, seeds=None: mcb(x, seeds)[0]
    def forward(self, views, index):
        logits = self.fc(self.trunk(views)); y = self.labels[index]
        return F.cross_entropy(logits, y), {'acc': (logits.argmax(1) == y).float().mean().item()}

cfg = get_config(dict(data='cifar10', arch='small', width=16, cifar_stem=False, batch_size=128, size_crops=[32],
                      min_scale_crops=[0.2], max_scale_crops=[1.0], workers=1, cpu=True, knn_every=3, method='npid',
                      optimizer='sgd', lr=0.05, momentum=0.9, wd=5e-4, final_lr=0.0, epochs=15,
                      name='cifar10_supervised_cpu', out_dir=sys.argv[1]))
ds = build_data(cfg, 'ssl')
train(cfg, module=Supervised(build_trunk(cfg), ds.targets, cfg))
