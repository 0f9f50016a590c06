"""Each preset holds what its source publishes, read from what the trainer builds from it (the method's views, the
optimiser's groups, the schedule), not only from the config's fields:
- `imagenet_pirl_800ep`: the PIRL paper (Sec. 4) and VISSL's `pirl_jigsaw_4node_resnet.yaml`: 64 px jigsaw patches from
  255 px crops (scale 0.6-1), the image view a 224 px crop at scale (0.08, 1), SGD lr 0.12 cosine to 0.00012 over 800
  epochs, wd 1e-4 not on BatchNorm and biases (`regularize_bn/bias: False`), 32,000 negatives, τ 0.07, λ 0.5;
- `imagenet_npid_200ep`: lemniscate.pytorch main.py: lr 0.03, x0.1 at epochs 120 and 160, crop scale (0.2, 1);
- `cifar10_npid`: lemniscate.pytorch cifar.py: lr 0.03, x0.1 at epochs 120 and 160 of 200, batch 128, wd 5e-4, crop
  scale (0.2, 1), τ 0.1, 4096 negatives;
- `cifar10_swav`: solo-learn scripts/pretrain/cifar/swav.yaml + augmentations/symmetric.yaml: LARS (η 0.02, clipped)
  lr 0.6, wd 1e-6, neither on BatchNorm and biases (`exclude_bias_n_norm: True`), crops 2x32 at scale (0.08, 1);
- `imagenet_swav_*`: facebookresearch/swav's scripts: LARS and weight decay on every parameter;
- `imagenet_rotnet`: VISSL's rotnet_8gpu_resnet.yaml: ResNet-50, a linear head 2048 -> 4, 224 px crops at (0.08, 1), SGD lr
  0.1 at batch 256, x0.1 at epochs 30, 60, 90, 100 of 105, wd 1e-4 not on BatchNorm; all four rotations per image (the paper);
- `imagenet_jigsaw`: VISSL's jigsaw_8gpu_resnet.yaml: 2,000 permutations (max average Hamming distance), per-patch Linear
  2048 -> 1000 + BN + ReLU, 9 concatenated, Linear 9000 -> 2000, 64 px patches of 255 px crops, lr 0.1 after a 5-epoch
  warmup from 0.025, the same steps and weight decay."""
import pytest, torch
import torchvision.transforms as T
from swav_lit.config import get_config
from swav_lit.build import build_method, make_optimizer, lr_at, LARS
from swav_lit.pirl import Jigsaw
from swav_lit.pretext import RotNet, JigsawNet

def views_of(name, n_data=8):
    cfg = get_config(name)
    return cfg, build_method(cfg, n_data)

def crop(t) -> T.RandomResizedCrop:
    "The RandomResizedCrop of a view transform (a T.Compose) or of a Jigsaw."
    if isinstance(t, Jigsaw): return t.crop_tfm
    return next(x for x in t.transforms if isinstance(x, T.RandomResizedCrop))

def groups(cfg, m):
    "Per optimiser group: (number of 1-d tensors, of >1-d tensors, weight decay, LARS on)."
    opt = make_optimizer(m, cfg)
    return opt, [(sum(p.ndim <= 1 for p in g['params']), sum(p.ndim > 1 for p in g['params']), g['weight_decay'],
                  g.get('lars', True)) for g in opt.param_groups]

def test_imagenet_pirl_800ep():
    cfg, m = views_of('imagenet_pirl_800ep')
    image, jig = m.transform.tfms
    assert isinstance(jig, Jigsaw) and crop(jig).size == (255, 255) and crop(jig).scale == (0.6, 1.0)
    assert (jig.grid, jig.cell, jig.patch) == (3, 85, 64)
    assert crop(image).size == (224, 224) and crop(image).scale == (0.08, 1.0)
    opt, g = groups(cfg, m)
    assert type(opt) is torch.optim.SGD and g[0][0] == 0 and g[0][2] == 1e-4 and g[1][1] == 0 and g[1][2] == 0.
    spe = 1_281_167 // 1024
    assert lr_at(0, cfg, spe) == pytest.approx(0.12) and lr_at(800 * spe, cfg, spe) == pytest.approx(0.00012)
    assert (cfg.n_neg, cfg.nce_tau, cfg.pirl_lambda, cfg.bank_momentum, cfg.feat_dim) == (32_000, 0.07, 0.5, 0.5, 128)

@pytest.mark.parametrize('name,spe,scale', [('imagenet_npid_200ep', 1_281_167 // 256, 0.2), ('cifar10_npid', 50_000 // 128, 0.2)])
def test_npid_step_schedules(name, spe, scale):
    cfg, m = views_of(name)
    assert [round(lr_at(e * spe, cfg, spe), 8) for e in (0, 119, 120, 159, 160, cfg.epochs - 1)] == \
           [0.03, 0.03, 0.003, 0.003, 0.0003, 0.0003]
    assert crop(m.transform).scale == (scale, 1.0)
    opt, g = groups(cfg, m)
    assert type(opt) is torch.optim.SGD and len(g) == 1  # weight decay on every parameter, as the reference code
    if name == 'cifar10_npid':
        assert (cfg.epochs, cfg.batch_size, cfg.wd, cfg.nce_tau, cfg.n_neg, crop(m.transform).size) == (200, 128, 5e-4, 0.1, 4096, (32, 32))

def test_cifar10_swav():
    cfg, m = views_of('cifar10_swav')
    assert [crop(t).scale for t in m.transform.tfms] == [(0.08, 1.0)] * 2 and crop(m.transform.tfms[0]).size == (32, 32)
    assert m.batch_transform.min_scale_crops == [0.08] and m.batch_transform.n_crops == [2]
    opt, g = groups(cfg, m)
    assert isinstance(opt, LARS) and opt.trust_coef == 0.02 and opt.clip and opt.defaults['lr'] == 0.6
    (bn1, w1, wd1, lars1), (bn2, w2, wd2, lars2) = g
    assert bn1 == 0 and wd1 == 1e-6 and lars1 and w2 == 0 and bn2 > 0 and wd2 == 0. and not lars2

def test_imagenet_swav_lars_on_every_parameter():
    cfg, m = views_of('imagenet_swav_800ep')
    opt, g = groups(cfg, m)
    assert isinstance(opt, LARS) and len(g) == 1 and g[0][0] > 0 and g[0][2] == 1e-6 and g[0][3]
    assert [crop(t).size for t in m.transform.tfms] == [(224, 224)] * 2 + [(96, 96)] * 6

def test_imagenet_rotnet():
    cfg, m = views_of('imagenet_rotnet')
    assert isinstance(m, RotNet) and (m.head.in_features, m.head.out_features) == (2048, 4)
    assert crop(m.transform).size == (224, 224) and crop(m.transform).scale == (0.08, 1.0)
    opt, g = groups(cfg, m)
    assert type(opt) is torch.optim.SGD and g[0][0] == 0 and g[0][2] == 1e-4 and g[1][1] == 0 and g[1][2] == 0.
    spe = 1_281_167 // 256
    assert [round(lr_at(e * spe, cfg, spe), 8) for e in (0, 29, 30, 60, 90, 100, 104)] == [0.1, 0.1, 0.01, 0.001, 0.0001, 1e-5, 1e-5]
    x = torch.zeros(2, 3, 224, 224); assert m.trunk(x).shape == (2, 2048)

def test_imagenet_jigsaw():
    cfg, m = views_of('imagenet_jigsaw')
    jig = m.transform.jigsaw
    assert isinstance(m, JigsawNet) and isinstance(jig, Jigsaw) and not jig.permute
    assert crop(jig).size == (255, 255) and (jig.grid, jig.cell, jig.patch) == (3, 85, 64)
    assert m.perms.shape == (2000, 9) and (m.perms.sort(1).values == torch.arange(9)).all()
    assert (m.head.patch[0].in_features, m.head.patch[0].out_features) == (2048, 1000)
    assert isinstance(m.head.patch[1], torch.nn.BatchNorm1d) and (m.head.fc.in_features, m.head.fc.out_features) == (9000, 2000)
    opt, g = groups(cfg, m)
    assert type(opt) is torch.optim.SGD and g[0][2] == 1e-4 and g[1][2] == 0.
    spe = 1_281_167 // 256
    assert lr_at(0, cfg, spe) == pytest.approx(0.025) and lr_at(5 * spe - 1, cfg, spe) == pytest.approx(0.1)
    assert [round(lr_at(e * spe, cfg, spe), 8) for e in (5, 29, 30, 60, 90, 100)] == [0.1, 0.1, 0.01, 0.001, 0.0001, 1e-5]

@pytest.mark.parametrize('name,pirl', [('cifar10_rotnet_cpu', 'cifar10_pirl_cpu'), ('cifar10_jigsaw_cpu', 'cifar10_pirl_cpu'),
                                       ('digits_rotnet', None), ('digits_jigsaw', None)])
def test_pretext_presets(name, pirl):
    """PIRL's foils (chapter 14): on the CIFAR-10 CPU scale, PIRL's data, trunk, views and budget, the lr of RotNet's CIFAR-10
    config (0.1, batch 128) and VISSL's jigsaw (0.1 at 256, scaled); they validate and build."""
    from swav_lit.config import validate
    cfg = validate(get_config(name), world_size=1)
    if pirl:
        ref = get_config(pirl)
        for k in ('data', 'arch', 'width', 'batch_size', 'epochs', 'optimizer', 'schedule', 'final_lr', 'momentum', 'wd',
                  'size_crops', 'min_scale_crops', 'max_scale_crops', 'color_strength', 'aug'):
            assert getattr(cfg, k) == getattr(ref, k), f'{name}: {k}={getattr(cfg, k)!r}, {pirl} has {getattr(ref, k)!r}'
        assert cfg.lr == {'rotnet': 0.1, 'jigsaw': 0.05}[cfg.method]
    m = build_method(cfg, 8)
    if cfg.method == 'rotnet':
        assert crop(m.transform).scale == (cfg.min_scale_crops[0], 1.0)
        assert m.batch_transform(torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8), seeds=[0, 1]).shape == (2, 3, 32, 32)
    else:
        assert m.batch_transform is None and m.perms.shape == (100, 9) and m.transform.jigsaw.patch == 8

def test_imagenet_byol():
    """Grill et al. 2020 and deepmind-research/byol: ResNet-50, projector and predictor 4096 -> 256 with BN, the target an
    EMA from 0.996, views with blur 1.0/0.1 and solarization 0.0/0.2 and jitter (0.4, 0.4, 0.2, 0.1) at scale (0.08, 1),
    LARS (eta 1e-3) lr 0.2 x 4096/256 with 10 warmup epochs and a cosine over 1000, wd 1.5e-6, neither on biases and BN."""
    from swav_lit.byol import BYOL
    cfg, m = views_of('imagenet_byol', n_data=1_281_167)
    assert isinstance(m, BYOL) and m.base_tau == 0.996 and m.total_steps == 1000 * (1_281_167 // 4096)
    for head, d in ((m.projector, 2048), (m.predictor, 256)):
        lin1, bn, _, lin2 = head.net
        assert (lin1.in_features, lin1.out_features, lin2.out_features) == (d, 4096, 256) and isinstance(bn, torch.nn.BatchNorm1d)
    v1, v2 = m.transform.tfms
    assert [crop(t).size for t in (v1, v2)] == [(224, 224)] * 2 and crop(v1).scale == (0.08, 1.0)
    assert [t.transforms[3].p for t in (v1, v2)] == [1.0, 0.1]
    assert [t.transforms[4].p for t in (v2,)] == [0.2] and type(v1.transforms[4]) is T.ToTensor
    assert v1.transforms[2].transforms[0].transforms[0].saturation == (0.8, 1.2)
    opt, g = groups(cfg, m)
    assert isinstance(opt, LARS) and opt.trust_coef == 1e-3 and g[0][0] == 0 and g[0][2] == 1.5e-6 and g[1][1] == 0 and g[1][2] == 0. and not g[1][3]
    spe = 1_281_167 // 4096
    assert lr_at(10 * spe - 1, cfg, spe) == pytest.approx(3.2) and lr_at(1000 * spe, cfg, spe) == pytest.approx(0.)
    assert m.tau(0) == pytest.approx(0.996) and m.tau(m.total_steps // 2) == pytest.approx(0.998) and m.tau(m.total_steps) == 1.

def test_digits_byol():
    from swav_lit.config import validate
    cfg = validate(get_config('digits_byol'), world_size=1)
    m = build_method(cfg, 1437)
    assert m.total_steps == 15 * (1437 // 128) and m.base_tau == 0.99
    assert [(v.blur_prob, v.solarize_prob) for v in (m.batch_transform.v1, m.batch_transform.v2)] == [(0., 0.), (0., 0.2)]

# ---------------------------------------------------------------- CIFAR-10 on 2 CPU cores (issue 13)
CPU_BASE = dict(data='cifar10', arch='small', width=16, cifar_stem=False, size_crops=[32], min_scale_crops=[0.2],
                max_scale_crops=[1.0], color_strength=0.5, blur_prob=0.0, workers=1, cpu=True, knn_every=2, aug='auto')
CPU_SWAV = dict(CPU_BASE, method='swav', batch_size=256, optimizer='lars', lr=0.6, final_lr=0.0006, wd=1e-6, trust_coef=0.02,
                lars_clip=True, lars_exclude_bn_bias=True, n_prototypes=100, feat_dim=128, hidden_dim=512, eps=0.05, tau=0.1,
                freeze_prototypes_iters=100, queue_length=0, n_crops=[2], crops_for_assign=[0, 1], epochs=18)
CPU_NPID = dict(CPU_BASE, method='npid', batch_size=128, optimizer='sgd', lr=0.03, momentum=0.9, wd=5e-4, schedule='cosine',
                final_lr=0.0, n_neg=1024, nce_tau=0.1, bank_momentum=0.5, feat_dim=128, epochs=15)
DINO_CPU = dict(CPU_BASE, method='dino', batch_size=256, optimizer='lars', lr=0.3, final_lr=0.0, wd=1e-6, trust_coef=0.02,
                lars_clip=True, lars_exclude_bn_bias=True, n_crops=[2, 4], size_crops=[32, 24], min_scale_crops=[0.2, 0.15],
                max_scale_crops=[1.0, 0.5], n_prototypes=1024, feat_dim=128, hidden_dim=512, tau=0.1, dino_bn_head=True,
                dino_momentum=0.99)
CPU_PRESETS = {
    'cifar10_swav_cpu': CPU_SWAV,
    'cifar10_swav_mc_cpu': dict(CPU_SWAV, epochs=9, n_crops=[2, 4], size_crops=[32, 24], min_scale_crops=[0.2, 0.15],
                                max_scale_crops=[1.0, 0.5]),
    'cifar10_npid_cpu': CPU_NPID,
    'cifar10_pirl_cpu': dict(CPU_NPID, method='pirl', nce_loss='pirl', nce_tau=0.07, pirl_lambda=0.5, pretext='rotation', epochs=8),
    'cifar10_supervised_cpu': dict(CPU_NPID, method='supervised', lr=0.05, epochs=15),
    # BYOL: cifar10_simclr_cpu's data, trunk, views and widths; solo-learn's cifar/byol.yaml optimiser and tau
    'cifar10_byol_cpu': dict(CPU_BASE, method='byol', batch_size=256, feat_dim=128, hidden_dim=512, epochs=11, optimizer='lars',
                             lr=1.0, final_lr=0.0, warmup_epochs=1, wd=1e-5, trust_coef=0.02, lars_clip=True,
                             lars_exclude_bn_bias=True, byol_tau=0.99, byol_blur=[0.0, 0.0], byol_solarize=[0.0, 0.2]),
    # DINO: the CPU data, trunk and colour, cifar10_swav_mc_cpu's crop sizes, solo-learn's CIFAR DINO LARS; both centrings;
    # the teacher at 0.04 throughout (warmed to 0.07 within 2 epochs, the run collapsed to uniform: chapter 40)
    **{f'cifar10_dino{sfx}_cpu': dict(DINO_CPU, dino_centering=c, epochs=8, dino_teacher_temp=0.04, dino_warmup_teacher_temp_epochs=0)
       for sfx, c in (('', 'mean'), ('_sk', 'sinkhorn'))},
    # CPC: NPID's CPU data, trunk, view and SGD (lr 0.03); a 3x3 grid of 16 px patches every 8 px, 2 rows ahead
    # 12 epochs: 17 min at its probe's 581 img/s (the committed 16-epoch run: 23 min, over the budget)
    'cifar10_cpc_cpu': dict(CPU_NPID, method='cpc', hidden_dim=128, epochs=12, cpc_patch=16, cpc_stride=8,
                            cpc_steps=2, cpc_context='pixelcnn', cpc_directions=1),
}

@pytest.mark.parametrize('name', list(CPU_PRESETS))
def test_cifar10_cpu_presets(name):
    "The measured CPU recipes: their values, they validate, and every one of them trains on batched views seeded per image."
    from swav_lit.config import validate, supervised_reference
    cfg = validate(get_config(name), world_size=1)
    for k, v in CPU_PRESETS[name].items(): assert getattr(cfg, k) == v, f'{name}: {k}={getattr(cfg, k)!r}, measured with {v!r}'
    m = build_method(cfg, 8, labels=torch.arange(8) % 10)
    assert m.batch_transform is not None, f'{name}: no batched views'
    x = m.batch_transform(torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8), seeds=[0, 1])
    assert all(v.shape[-1] in cfg.size_crops for v in (x if isinstance(x, list) else [x]))
    ref = supervised_reference(cfg)
    assert (ref is None) == (cfg.method == 'supervised') and (ref is None or 'cifar10_supervised_cpu' in ref['command'])

def test_supervised_reference_is_the_committed_run():
    "The supervised numbers the trainer's report prints beside a CPU preset are chapter 40's committed supervised run."
    import csv
    from pathlib import Path
    from swav_lit.config import SUPERVISED_REFERENCE
    rows = {r['name']: r for r in csv.DictReader(open(Path(__file__).parents[1] / 'nbs/experiments/cpu/results.csv'))}
    sup = rows['cifar10_supervised_cpu']
    for p in ('cifar10_swav_cpu', 'cifar10_npid_cpu', 'cifar10_pirl_cpu', 'cifar10_swav_mc_cpu', 'cifar10_simclr_cpu', 'cifar10_moco_cpu'):
        ref = SUPERVISED_REFERENCE[p]
        for col, key in (('kNN k=20', 'knn20'), ('kNN k=200', 'knn200'), ('linear probe', 'linear')):
            assert abs(ref[col] - float(sup[key])) < 5e-4, f'{p}: {col} {ref[col]} but results.csv says {sup[key]}'

# ---------------------------------------------------------------- CMC (chapter 15)
def test_imagenet_cmc():
    """HobbitLong/CMC train_CMC.py with --model resnet50v2 (one full ResNet-50 per view): L (1 channel) and ab (2) encoders,
    a linear head to 128-d each, crops 224 px at (0.08, 1) for ResNets, flip, no colour jitter, SGD lr 0.03 x0.1 at epochs 120,
    160 and 200 of 240, batch 128, wd 1e-4 on every parameter, 16,384 negatives, τ 0.07, bank momentum 0.5."""
    from swav_lit.cmc import CMC, LabTrunk
    cfg, m = views_of('imagenet_cmc')
    assert isinstance(m, CMC) and isinstance(m.trunk, LabTrunk) and m.trunk.dim == 4096
    assert m.trunk.enc_L.conv1.in_channels == 1 and m.trunk.enc_ab.conv1.in_channels == 2
    assert (m.head_L.fc.in_features, m.head_L.fc.out_features) == (2048, 128) and m.n_neg == 16384 and m.tau == 0.07
    assert m.bank.L.momentum == m.bank.ab.momentum == 0.5 and m.bank.L.mem.shape == (8, 128)
    assert crop(m.transform).size == (224, 224) and crop(m.transform).scale == (0.08, 1.0)
    assert not any(isinstance(t, (T.ColorJitter, T.RandomGrayscale, T.RandomApply)) for t in m.transform.transforms)
    assert cfg.batch_size == 128 and cfg.epochs == 240
    opt, g = groups(cfg, m)
    assert type(opt) is torch.optim.SGD and len(g) == 1 and g[0][2] == 1e-4 and opt.param_groups[0]['momentum'] == 0.9
    spe = 1_281_167 // 128
    assert [round(lr_at(e * spe, cfg, spe), 8) for e in (0, 119, 120, 160, 200, 239)] == [0.03, 0.03, 0.003, 0.0003, 3e-5, 3e-5]
    x = torch.zeros(2, 3, 224, 224); assert m.trunk.eval()(x).shape == (2, 4096)

def test_cmc_cpu_preset():
    """cifar10_cmc_cpu: cifar10_npid_cpu's data, views' crops, optimiser, NCE knobs and batch; the width and epochs chosen by
    measured throughput (two encoders) and CMC's random banks; it validates, builds a LabTrunk and has batched views with no colour change."""
    from swav_lit.config import validate
    from swav_lit.cmc import LabTrunk
    cfg, ref = validate(get_config('cifar10_cmc_cpu'), world_size=1), get_config('cifar10_npid_cpu')
    for k in ('data', 'arch', 'batch_size', 'optimizer', 'lr', 'schedule', 'final_lr', 'momentum', 'wd', 'size_crops',
              'min_scale_crops', 'max_scale_crops', 'n_neg', 'nce_tau', 'bank_momentum', 'feat_dim', 'aug', 'cpu'):
        assert getattr(cfg, k) == getattr(ref, k), f'cifar10_cmc_cpu: {k}={getattr(cfg, k)!r}, cifar10_npid_cpu has {getattr(ref, k)!r}'
    m = build_method(cfg, 8)
    assert cfg.method == 'cmc' and isinstance(m.trunk, LabTrunk) and not cfg.fill_bank  # CMC's banks start random
    flat = torch.tensor([200, 30, 90], dtype=torch.uint8)[None, :, None, None].expand(64, 3, 32, 32)  # a coloured flat image
    want = (torch.tensor([200, 30, 90])[:, None, None] / 255 - m.trunk.rgb_mean) / m.trunk.rgb_std
    assert torch.allclose(m.batch_transform(flat, seeds=list(range(64))), want.expand(64, 3, 32, 32), atol=1e-5)  # no jitter, no gray

def test_imagenet_deepcluster():
    "facebookresearch/deepcluster main.sh/main.py/clustering.py: k 10,000, PCA 256, 20 k-means rounds, SGD lr 0.05 constant, momentum 0.9, wd 1e-5, batch 256, crops (0.08, 1) + flip, no colour."
    from swav_lit.cluster import DeepCluster
    cfg, m = views_of('imagenet_deepcluster', 20_000)
    assert isinstance(m, DeepCluster) and m.head.out_features == 10_000 and (m.pca_dim, m.kmeans_iters) == (256, 20)
    assert crop(m.transform).size == (224, 224) and crop(m.transform).scale == (0.08, 1.0)
    assert not any(type(t).__name__ in ('ColorJitter', 'RandomApply') for t in m.transform.transforms)
    opt, g = groups(cfg, m)
    assert type(opt) is torch.optim.SGD and len(g) == 1 and g[0][2] == 1e-5 and opt.defaults['momentum'] == 0.9
    spe = 1_281_167 // 256
    assert (cfg.batch_size, cfg.epochs) == (256, 500) and {lr_at(s, cfg, spe) for s in (0, 100 * spe, 499 * spe)} == {0.05}

def test_imagenet_sela():
    "yukimasano/self-label scripts/alexnet.sh + main.py: 10 heads of 3,000, lambda 25, 100 optimisations over 400 epochs, lr 0.08 x0.1 per 150 epochs, 0.001x from 350, wd 1e-5, batch 256."
    from swav_lit.cluster import SeLa
    cfg, m = views_of('imagenet_sela')
    assert isinstance(m, SeLa) and len(m.heads) == 10 and m.heads[0].out_features == 3000 and m.lamb == 25.0
    assert m.opt_epochs[0] == 0 and len(m.opt_epochs) <= 100 and m.labels.shape == (10, 8)
    spe = 1_281_167 // 256
    assert [round(lr_at(e * spe, cfg, spe), 10) for e in (0, 149, 150, 299, 300, 349, 350, 399)] == \
           [0.08, 0.08, 0.008, 0.008, 0.0008, 0.0008, 0.00008, 0.00008]
    opt, g = groups(cfg, m)
    assert type(opt) is torch.optim.SGD and g[0][2] == 1e-5 and crop(m.transform).scale == (0.08, 1.0)
# ---------------------------------------------------------------- DINO (chapter 25)
def test_imagenet_dino():
    """Caron et al. 2021 and facebookresearch/dino, the ResNet-50 run: DINO head 2048 -> 2048 -> 2048 -> 256 (GELU, no BN),
    l2-normalised, a weight-normalised last layer to 65,536 outputs; τ_s 0.1, τ_t 0.04 throughout, centre momentum 0.9,
    teacher momentum 0.996 -> 1 (cosine over every step), last layer frozen for 1 epoch; 2x224 px crops at (0.14, 1) and 8x96
    px at (0.05, 0.14); SGD lr 0.03 x 1024/256 after 10 warmup epochs from 0, cosine to 1e-6, wd 1e-4 not on biases and norms."""
    from swav_lit.dino import DINO
    cfg, m = views_of('imagenet_dino', n_data=1_281_167)
    assert isinstance(m, DINO) and m.centering == 'mean' and m.tau == 0.1 and m.center_momentum == 0.9 and m.freeze_epochs == 1
    lin = [l for l in m.head.mlp if isinstance(l, torch.nn.Linear)]
    assert [(l.in_features, l.out_features) for l in lin] == [(2048, 2048), (2048, 2048), (2048, 256)]
    assert not any(isinstance(l, torch.nn.BatchNorm1d) for l in m.head.mlp) and m.head.last_layer.weight_v.shape == (65536, 256)
    assert all(m.teacher_temp == 0.04 for m.epoch in (0, 29, 99))
    spe = 1_281_167 // 1024
    assert m.total_steps == 100 * spe and m.momentum(0) == pytest.approx(0.996) and m.momentum(m.total_steps) == 1.
    mc = m.batch_transform
    assert (mc.size_crops, mc.n_crops, mc.min_scale_crops, mc.max_scale_crops) == ([224, 96], [2, 8], [0.14, 0.05], [1.0, 0.14])
    opt, g = groups(cfg, m)
    assert type(opt) is torch.optim.SGD and g[0][0] == 0 and g[0][2] == 1e-4 and g[1][1] == 0 and g[1][2] == 0.
    assert lr_at(0, cfg, spe) == 0. and lr_at(10 * spe - 1, cfg, spe) == pytest.approx(0.12) and lr_at(100 * spe, cfg, spe) == pytest.approx(1e-6)

def test_digits_dino():
    from swav_lit.config import validate
    cfg = validate(get_config('digits_dino'), world_size=1)
    m = build_method(cfg, 1437)
    assert m.total_steps == 15 * (1437 // 128) and m.base_momentum == 0.99 and m.centering == 'mean'
    assert any(isinstance(l, torch.nn.BatchNorm1d) for l in m.head.mlp) and m.head.last_layer.weight_v.shape == (64, 32)
    assert [m.teacher_temp for m.epoch in (0, 4, 5)] == [0.04, 0.07, 0.07]
def test_imagenet_cpc():
    """van den Oord et al. 2018: 256 px crops cut into a 7x7 grid of 64 px patches every 32 px (32 px overlap), up to 5 rows
    ahead, masked-convolution context; CPC v2: its blocks 256 wide, every direction; the trunk the encoder over the grid."""
    from swav_lit.cpc import CPC, PatchTrunk, MaskedContext
    cfg, m = views_of('imagenet_cpc', n_data=1_281_167)
    assert isinstance(m, CPC) and isinstance(m.trunk, PatchTrunk) and (m.trunk.patch, m.trunk.stride, m.grid) == (64, 32, 7)
    assert m.steps == 5 and len(m.context) == 4 and all(isinstance(c, MaskedContext) and len(c.blocks) == 5 for c in m.context)
    assert m.context[0].blocks[0].inp.out_channels == 256 and m.trunk.dim == 2048 and cfg.arch == 'resnet50'
    assert crop(m.transform).size == (256, 256)

def test_digits_cpc():
    from swav_lit.config import validate
    from swav_lit.cpc import CPC
    cfg = validate(get_config('digits_cpc'), world_size=1)
    m = build_method(cfg, 1437)
    assert isinstance(m, CPC) and (m.trunk.patch, m.trunk.stride, m.grid, m.steps, len(m.context)) == (16, 8, 3, 2, 1)
