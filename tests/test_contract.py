"""The `Method` contract (swav_lit.loop.Method) is all the trainer needs: a small new method, written here against that
class alone (a trunk, its own per-image and batched views, forward, the step-receiving hooks, a warm-up and a
collapse reference; state in buffers), trains through `swav_lit.train.train` and resumes bit for bit."""
import torch, torch.nn as nn
import torchvision.transforms as T
from swav_lit.loop import Method
from swav_lit.train import train

class NoisyViews:
    "uint8 (B,3,H,W) -> two noisy float views; each image's noise from its own seed (the contract's `seeds=`)."
    def __call__(self, x, seeds=None):
        x = x.float() / 255
        g = [torch.Generator().manual_seed(s) for s in seeds]
        return [x + 0.1 * torch.stack([torch.randn(x.shape[1:], generator=gi) for gi in g]) for _ in range(2)]

class Pull(Method):
    "Pulls two views of an image together, pushes a random bank row away; counts its steps and epochs in buffers."
    def __init__(self, n_data:int, batched:bool=False):
        super().__init__()
        self.trunk = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.trunk.dim = 8
        self.head = nn.Linear(8, 8)
        v = T.Compose([T.RandomResizedCrop(16, scale=(0.3, 1)), T.ToTensor()])
        self.transform = lambda im: [v(im), v(im)]
        self.batch_transform = NoisyViews() if batched else None
        self.register_buffer('bank', torch.randn(n_data, 8))
        self.register_buffer('steps_seen', torch.zeros((), dtype=torch.long))
        self.hooks, self.warmed = [], False
    collapse_loss = 0.0
    def forward(self, views, index):
        z1, z2 = (nn.functional.normalize(self.head(self.trunk(v)), dim=1) for v in views)
        neg = self.bank[torch.randint(0, len(self.bank), (len(index),), device=index.device)]
        self._z = (index, z1.detach())
        return -(z1 * z2).sum(1).mean() + 0.1 * (z1 * nn.functional.normalize(neg, dim=1)).sum(1).mean(), {'n': float(len(index))}
    def before_step(self, step): self.hooks.append(('before', step))
    def after_backward(self, step):
        if step < 2: self.head.weight.grad = None  # a freeze of 2 optimiser steps, whatever the accumulation
    def after_step(self, step):
        self.bank[self._z[0]] = self._z[1]; self.steps_seen.fill_(step + 1); self.hooks.append(('after', step))
    def warm_up(self, loader):
        for views, _, index in loader: self.bank[index] = self.head(self.trunk(views[0])).detach()
        self.warmed = True
        return 'warmed up'

KW = dict(batch_size=64, epochs=2, knn_every=0, report=False, progress=False, seed=3, optimizer='sgd', lr=0.1)

def run(tmp, out, batched=False, resume=None, **kw):
    torch.manual_seed(0)
    return train('digits_swav', resume=resume, module=Pull(1437, batched), out_dir=str(tmp / out), **KW, **kw)

def test_new_method_trains_and_resumes_exactly(tmp_path):
    for batched in (False, True):
        full = run(tmp_path, f'full{batched}', batched, max_steps=30)
        m = full['method']
        assert m.warmed and int(m.steps_seen) == 30 and full['steps'] == 30  # two epochs of 22 steps, stopped at 30
        assert [s for h, s in m.hooks if h == 'before'] == list(range(30))  # the hooks received the optimiser step
        run(tmp_path, f'part{batched}', batched, max_steps=12)
        rest = run(tmp_path, f'part{batched}', batched, resume=tmp_path / f'part{batched}', max_steps=30)
        assert not rest['method'].warmed  # a resumed run does not warm up again
        for (k, a), b in zip(full['method'].state_dict().items(), rest['method'].state_dict().values()):
            assert torch.equal(a, b), f'batched={batched}: {k} differs after resume'
        assert [h['loss'] for h in full['history']] == [h['loss'] for h in rest['history']]

def test_hooks_receive_the_optimiser_step_under_accumulation(tmp_path):
    m = run(tmp_path, 'acc', max_steps=3, accum=2)['method']
    assert [s for h, s in m.hooks if h == 'before'] == [0, 0, 1, 1, 2, 2] and int(m.steps_seen) == 3
