"""The trainer (swav_lit.train): bad configs fail early and clearly, the ImageNet presets hold the published
recipes, a resumed run equals an uninterrupted one weight for weight, and a kill -9 during a checkpoint write
leaves the last good checkpoint, from which the run finishes exactly as if nothing had happened."""
import os, sys, json, subprocess
from pathlib import Path
import pytest, torch
import swav_lit.train as tr
from swav_lit.config import get_config, validate, ConfigError, PRESETS
from swav_lit.runs import load_checkpoint, load_trunk, CKPT_NAME
from swav_lit.train import train, main

HERE = Path(__file__).parent

# ---------------------------------------------------------------- bad configs
BAD = [  # (overrides, launch given to validate, words the message must contain)
    (dict(lr_rate=0.1), {}, "unknown config key 'lr_rate'"),
    (dict(epoch=3), {}, "did you mean 'epochs'"),
    (dict(epochs='ten'), {}, "epochs='ten' is not an int"),
    (dict(epochs=2.5), {}, 'epochs=2.5 has type float; it must be an int'),
    (dict(lr='fast'), {}, "lr='fast' is not a float"),
    (dict(cpu='maybe'), {}, 'use true or false'),
    (dict(size_crops='big'), {}, "size_crops='big' is not an int"),
    (dict(method='dinov3'), {}, "method='dinov3' is not one of"),
    (dict(epochs=0), {}, 'epochs=0 must be at least 1'),
    (dict(lr=-0.1), {}, 'lr=-0.1 must be > 0'),
    (dict(momentum=1.0), {}, 'momentum=1.0 must be in [0, 1)'),
    (dict(final_lr=1.0), {}, 'final_lr=1.0 is above lr=0.05'),
    (dict(size_crops=[16, 32]), {}, 'size_crops=[16, 32] must be descending'),
    (dict(size_crops=[32, 32]), {}, 'must be descending'),
    (dict(n_crops=[2]), {}, 'need one entry per resolution'),
    (dict(min_scale_crops=[0.3, 0.5]), {}, 'need 0 < min < max <= 1'),
    (dict(crops_for_assign=[0, 2]), {}, 'crops_for_assign=[0, 2] must index the large crops: 0..1'),
    (dict(queue_length=64), {}, 'queue_length=64 is shorter than a global batch (batch_size=128)'),
    (dict(queue_length=300), {}, 'not a multiple of batch_size=128: use 256 or 384'),
    (dict(batch_size=100), dict(world_size=3), 'batch_size=100 (global) is not divisible by world_size × accum = 3 × 1'),
    (dict(batch_size=128, accum=3), {}, 'batch_size=128 is not divisible by accum=3'),
    (dict(batch_size=128, accum=2), dict(world_size=3), 'use a multiple of 6'),
    (dict(precision='fp16'), dict(cuda=False), "precision='fp16' needs a CUDA GPU"),
    (dict(norm='syncbn'), dict(world_size=2, cuda=False), "norm='syncbn' needs GPUs"),
    (dict(schedule='step', lr_steps=[15, 10]), {}, 'lr_steps=[15, 10] must be increasing'),
    (dict(method='pirl', pretext='jigsaw', aug='batched'), {}, "PIRL's pretext='jigsaw' cuts its patches per image"),
    (dict(data='imagenet', aug='batched'), {}, "data='imagenet' may hold images of any size: use aug='pil'"),
    (dict(method='jigsaw', aug='batched'), {}, "aug='batched': the jigsaw cuts its patches per image"),
    (dict(method='jigsaw', n_perms=1), {}, 'n_perms=1 must be between 2 and 9! = 362880'),
    (dict(method='rotation'), {}, "method='rotation' is not one of"),
    (dict(method='byol', byol_tau=1.5), {}, 'byol_tau=1.5 must be in [0, 1]'),
    (dict(method='byol', byol_blur=[1.0]), {}, 'one probability in [0, 1] per view'),
    (dict(method='byol', n_crops=[2, 2], size_crops=[16, 8], min_scale_crops=[0.3, 0.1], max_scale_crops=[1.0, 0.3]), {}, 'byol takes two views of one resolution'),
    (dict(method='cpc', size_crops=[32], n_crops=[2], min_scale_crops=[0.2], max_scale_crops=[1.0], cpc_patch=16, cpc_stride=8, cpc_steps=3), {}, 'a 3x3 grid of patches predicts 1 to 2 rows ahead'),
    (dict(method='cpc', size_crops=[32], n_crops=[2], min_scale_crops=[0.2], max_scale_crops=[1.0], cpc_patch=40), {}, 'need 1 <= cpc_patch <= size_crops[0]=32'),
    (dict(method='cpc', cpc_context='lstm'), {}, "cpc_context='lstm' is not one of ('pixelcnn', 'gru')"),
    (dict(aug='gpu'), {}, "aug='gpu' is not one of ('auto', 'pil', 'batched')"),
    (dict(method='deepcluster', n_clusters=1), {}, "n_clusters=1 must be at least 2 (DeepCluster's k, SeLa's K)"),
    (dict(method='sela', sela_lambda=0.0), {}, 'sela_lambda=0.0 must be > 0'),
    (dict(method='sela', sela_opts=0), {}, 'sela_opts=0 must be at least 1'),
    (dict(method='dino', dino_centering='median'), {}, "dino_centering='median' is not one of ('mean', 'sinkhorn')"),
    (dict(method='dino', n_crops=[1, 4], size_crops=[32, 16], min_scale_crops=[0.3, 0.1], max_scale_crops=[1.0, 0.3]), {}, 'DINO needs at least 2 global crops'),
    (dict(method='dino', dino_teacher_temp=0.0), {}, 'must be > 0, e.g. 0.07 and 0.04'),
]

@pytest.mark.parametrize('ov,launch,words', BAD, ids=[w[:40] for *_, w in BAD])
def test_bad_config_fails_clearly(ov, launch, words):
    with pytest.raises(ConfigError) as e: validate(get_config('digits_swav', **ov), **launch)
    assert words in str(e.value), str(e.value)
    assert "config 'digits_swav'" in str(e.value) or 'unknown config key' in str(e.value)

def test_bad_config_stops_cli_before_any_work(monkeypatch, capsys):
    def no_work(*a, **k): raise AssertionError('data was read before the config was validated')
    monkeypatch.setattr(tr, 'build_data', no_work)
    with pytest.raises(SystemExit) as e: main(['--size_crops', '16', '32'])
    assert 'swav_lit_train: error:' in str(e.value) and 'must be descending' in str(e.value)
    with pytest.raises(SystemExit) as e: main(['--config', 'imagenet_swav_800ep', '--cpu', 'true'])  # fp16 on the CPU
    assert "precision='fp16' needs a CUDA GPU" in str(e.value)
    with pytest.raises(SystemExit) as e: main(['--config', 'cifar10_swv'])
    assert "did you mean ['cifar10_swav'" in str(e.value)

def test_world_size_from_launcher(monkeypatch):
    monkeypatch.setenv('WORLD_SIZE', '3')  # what torchrun / accelerate launch set
    with pytest.raises(ConfigError, match='not divisible by world_size'): train('digits_swav', batch_size=128)

def test_json_config_roundtrip(tmp_path):
    c = get_config('cifar10_swav', epochs=7)
    p = tmp_path / 'mine.json'; p.write_text(json.dumps(tr.asdict(c)))
    assert get_config(str(p)) == c
    p.write_text(json.dumps(dict(tr.asdict(c), colour='red')))
    with pytest.raises(ConfigError, match="unknown config key 'colour'"): get_config(str(p))

# ---------------------------------------------------------------- published recipes
SWAV_IMAGENET = dict(method='swav', data='imagenet', arch='resnet50', batch_size=4096, optimizer='lars', lr=4.8,
                     start_warmup=0.3, warmup_epochs=10, final_lr=0.0048, schedule='cosine', trust_coef=0.001,
                     lars_clip=False, lars_exclude_bn_bias=False, wd=1e-6, momentum=0.9, eps=0.05, tau=0.1,
                     sinkhorn_iters=3, n_prototypes=3000, feat_dim=128, hidden_dim=2048, freeze_prototypes_iters=313,
                     queue_length=0, n_crops=[2, 6], size_crops=[224, 96], min_scale_crops=[0.14, 0.05],
                     max_scale_crops=[1.0, 0.14], crops_for_assign=[0, 1])
RECIPES = {
    **{f'imagenet_swav_{e}ep': dict(SWAV_IMAGENET, epochs=e) for e in (100, 200, 400, 800)},
    'imagenet_swav_200ep_bs256': dict(SWAV_IMAGENET, epochs=200, batch_size=256, lr=0.6, final_lr=0.0006,
                                      warmup_epochs=0, start_warmup=0.0, queue_length=3840, epoch_queue_starts=15,
                                      freeze_prototypes_iters=5005),
    'imagenet_pirl_800ep': dict(method='pirl', data='imagenet', arch='resnet50', epochs=800, batch_size=1024,
                                optimizer='sgd', lr=0.12, final_lr=0.00012, schedule='cosine', warmup_epochs=0,
                                momentum=0.9, wd=1e-4, n_neg=32_000, nce_tau=0.07, pirl_lambda=0.5, pretext='jigsaw',
                                jigsaw_crop=255, min_scale_crops=[0.08], lars_exclude_bn_bias=True),
    'imagenet_npid_200ep': dict(method='npid', data='imagenet', arch='resnet50', epochs=200, batch_size=256,
                                optimizer='sgd', lr=0.03, momentum=0.9, n_neg=4096, nce_tau=0.07, bank_momentum=0.5,
                                feat_dim=128),
    'cifar10_swav': dict(method='swav', data='cifar10', arch='resnet18', cifar_stem=True, batch_size=256,
                         optimizer='lars', lr=0.6, queue_length=3840, epoch_queue_starts=50, trust_coef=0.02, lars_clip=True,
                         freeze_prototypes_iters=2 * (50_000 // 256), n_prototypes=3000, min_scale_crops=[0.08],
                         lars_exclude_bn_bias=True),
    'cifar10_npid': dict(method='npid', data='cifar10', arch='resnet18', cifar_stem=True, batch_size=128, epochs=200,
                         optimizer='sgd', lr=0.03, schedule='step', lr_steps=[120, 160], momentum=0.9, wd=5e-4,
                         n_neg=4096, nce_tau=0.1, bank_momentum=0.5, feat_dim=128, min_scale_crops=[0.2]),
}

@pytest.mark.parametrize('name', list(RECIPES))
def test_published_recipe(name):
    c = get_config(name)
    for k, v in RECIPES[name].items(): assert getattr(c, k) == v, f'{name}: {k}={getattr(c, k)!r}, published {v!r}'

def test_swav_schedule_matches_the_recipe():
    c, spe = get_config('imagenet_swav_100ep'), 1_281_167 // 4096  # 312 steps per epoch on ImageNet
    assert abs(tr.lr_at(0, c, spe) - 0.3) < 1e-12 and abs(tr.lr_at(10 * spe - 1, c, spe) - 4.8) < 1e-12
    assert abs(tr.lr_at(100 * spe, c, spe) - 0.0048) < 1e-12
    assert all(tr.lr_at(s + 1, c, spe) <= tr.lr_at(s, c, spe) for s in range(10 * spe, 100 * spe, 97))

def test_every_preset_validates():
    for name in PRESETS: validate(get_config(name), world_size=1)

# ---------------------------------------------------------------- exact resume
def _digits(method, out, **kw):
    method, _, aug = method.partition('-')  # 'swav-pil': SwAV with the per-image PIL views
    sk = method == 'dino_sk'  # DINO with DINOv2's Sinkhorn centring
    if sk: method = 'dino'
    base = dict(method=method, aug=aug or 'auto', batch_size=256, epochs=2, size_crops=[16], n_crops=[2], min_scale_crops=[0.2],
                max_scale_crops=[1.0], knn_every=0, report=False, progress=False, out_dir=str(out), seed=5)
    if method == 'swav':
        base.update(n_crops=[2, 2], size_crops=[16, 8], min_scale_crops=[0.3, 0.1], max_scale_crops=[1.0, 0.3],
                    n_prototypes=20, feat_dim=32, hidden_dim=64, queue_length=512, epoch_queue_starts=1,
                    freeze_prototypes_iters=4)
    else: base.update(optimizer='sgd', lr=0.03, n_neg=64, feat_dim=32, pretext='rotation')  # PIRL: the cheaper pretext
    if method == 'simclr': base.update(hidden_dim=64, tau=0.5)
    if method == 'moco': base.update(hidden_dim=64, tau=0.2, moco_m=0.9, queue_length=512, bn_splits=4)  # the queue wraps round
    if method == 'byol': base.update(hidden_dim=64, byol_tau=0.9, byol_blur=[1.0, 0.1])  # the EMA moves visibly; both blurs drawn
    if method == 'dino':  # the teacher and the centre move visibly; the last layer thaws and tau_t warms up at the epoch boundary
        base.update(n_crops=[2, 2], size_crops=[16, 8], min_scale_crops=[0.3, 0.1], max_scale_crops=[1.0, 0.3], n_prototypes=20,
                    feat_dim=8, hidden_dim=32, dino_momentum=0.9, dino_warmup_teacher_temp_epochs=2, dino_bn_head=True,
                    dino_centering='sinkhorn' if sk else 'mean')
    if method == 'cpc': base.update(cpc_patch=8, cpc_stride=4, cpc_steps=2, hidden_dim=16, cpc_directions=2)  # 3x3 grid, two directions
    if method == 'jigsaw': base.update(n_perms=20, hidden_dim=16, batch_size=128, n_train=640)  # 4 px patches of 15 px crops cut per image
    if method in ('deepcluster', 'sela'): base.update(n_clusters=20, pca_dim=16, kmeans_iters=5, sela_heads=2, sela_opts=3)  # relabelled at epochs 0 and 1
    return {**base, **kw}

def _same_state(a, b, what):
    for (k, x), (k2, y) in zip(a.items(), b.items()):
        assert k == k2 and torch.equal(x, y), f'{what}: {k} differs (max |diff| {(x.float() - y.float()).abs().max():.3g})'

METHODS = ['npid', 'npid-pil', 'swav', 'swav-pil', 'pirl', 'supervised', 'simclr', 'moco', 'byol', 'byol-pil', 'rotnet', 'jigsaw', 'cmc', 'cmc-pil', 'deepcluster', 'sela', 'dino', 'dino-pil', 'dino_sk', 'cpc']  # batched views on the digits, but '-pil' and the jigsaw

@pytest.mark.parametrize('method', METHODS)
def test_resume_equals_uninterrupted(method, tmp_path):
    """k+m steps == k steps, stop, resume, m steps; weight for weight. 5 steps per epoch, so the run crosses an
    epoch boundary after resuming (and, for SwAV, the end of the prototype freeze and the start of the queue).
    SwAV and NPID run with both kinds of views: batched (the default on the digits) and per-image PIL."""
    full = train('digits_swav', **_digits(method, tmp_path / 'full', max_steps=8))
    train('digits_swav', **_digits(method, tmp_path / 'part', max_steps=3))
    assert load_checkpoint(tmp_path / 'part')['step'] == 3
    rest = train('digits_swav', resume=tmp_path / 'part', **_digits(method, tmp_path / 'part', max_steps=8))
    _same_state(full['method'].state_dict(), rest['method'].state_dict(), method)
    assert [h['loss'] for h in full['history']] == [h['loss'] for h in rest['history']]

# ---------------------------------------------------------------- kill -9 during a checkpoint write
KILLER = r'''
import os, sys, signal, torch
real, n = torch.save, [0]
def dying_save(obj, f):
    n[0] += 1
    if n[0] == 2:  # the second checkpoint: write part of it, then die as under kill -9
        f.write(b'\x80\x02 partial checkpoint' * 1000); f.flush(); os.kill(os.getpid(), signal.SIGKILL)
    return real(obj, f)
torch.save = dying_save
from swav_lit.train import train
train('digits_swav', **eval(sys.argv[1]))
'''

def test_kill_during_checkpoint_write_then_resume(tmp_path):
    kw = _digits('npid', tmp_path / 'run', epochs=2)  # checkpoints after epoch 1 (kept) and 2 (killed mid-write)
    p = subprocess.run([sys.executable, '-c', KILLER, repr(kw)], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PYTHONPATH=str(HERE.parent)))
    assert p.returncode == -9, f'expected death by SIGKILL, got rc={p.returncode}\n{p.stderr[-3000:]}'
    ck = load_checkpoint(tmp_path / 'run')  # the last good one: end of epoch 1
    assert list((tmp_path / 'run').glob(f'.{CKPT_NAME}.tmp*')), 'the killed write should have left its temp file'
    assert (ck['epoch'], ck['epoch_step'], ck['step']) == (1, 0, 5)
    trunk, cfg = load_trunk(tmp_path / 'run'); assert cfg.method == 'npid' and not trunk.training
    rest = train('digits_swav', resume=tmp_path / 'run', **kw)
    full = train('digits_swav', **_digits('npid', tmp_path / 'full', epochs=2))
    assert rest['steps'] == full['steps'] == 10
    _same_state(full['method'].state_dict(), rest['method'].state_dict(), 'after kill and resume')

def test_module_entry_point_lists_presets():
    p = subprocess.run([sys.executable, '-m', 'swav_lit.train', '--list'], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert all(name in p.stdout for name in PRESETS)

# ---------------------------------------------------------------- class-balanced subsets (n_train, n_test)
def test_class_balanced_subsets():
    "n_train/n_test give n/C images per class, the same images for 'ssl' and 'train', labels that match; bad n fails clearly."
    full = tr.build_data(get_config('digits_swav'), 'train')
    cfg = get_config('digits_swav', n_train=100, n_test=50)
    ssl, lab, te = (tr.build_data(cfg, s) for s in ('ssl', 'train', 'test'))
    assert (len(ssl), len(lab), len(te)) == (100, 100, 50) and ssl.indices == lab.indices
    assert torch.bincount(torch.tensor(lab.targets)).tolist() == [10] * 10
    assert torch.bincount(torch.tensor(te.targets)).tolist() == [5] * 10
    assert [full.targets[i] for i in lab.indices] == lab.targets == [lab[j][1] for j in range(len(lab))]
    assert list(lab[3][0].getdata()) == list(full[lab.indices[3]][0].getdata())  # the very image, not a copy of another
    assert len(tr.build_data(get_config('digits_swav', n_train=0), 'ssl')) == len(full) == 1437  # 0: the whole split
    with pytest.raises(ConfigError, match='use a multiple of 10'): tr.build_data(get_config('digits_swav', n_train=105), 'train')
    with pytest.raises(ConfigError, match='impossible'): tr.build_data(get_config('digits_swav', n_train=1430), 'train')
    with pytest.raises(ConfigError, match='n_train=-1 must not be negative'): get_config('digits_swav', n_train=-1)


@pytest.mark.parametrize('fill', [True, False])
def test_fill_bank_before_the_first_step(fill, tmp_path):
    """fill_bank (default for small data) starts NPID's bank from the untrained network's features: rows then look alike
    (a random-init convnet maps images close together), where a random bank's rows are near-orthogonal."""
    out = train('digits_swav', method='npid', optimizer='sgd', lr=0.01, n_neg=64, batch_size=64, size_crops=[32], n_crops=[1],
                min_scale_crops=[0.5], max_scale_crops=[1.0], max_steps=1, epochs=1, norm='none', knn_every=0, report=False,
                progress=False, fill_bank=fill, out_dir=str(tmp_path))
    mem = out['method'].bank.mem
    cos = (mem[:700] * mem[700:1400]).sum(1).mean().item()  # 700 pairs of different images
    assert (cos > 0.5) if fill else (abs(cos) < 0.05), f'fill_bank={fill}: mean cosine between bank rows {cos:.3f}'

def test_compile_trains_the_same(tmp_path):
    """`compile=True` (torch.compile of the trunk, in place) gives the eager run's losses and weights up to float
    rounding, and a checkpoint with the same keys, which `load_trunk` reads."""
    kw = dict(method='npid', batch_size=128, max_steps=2, epochs=1, size_crops=[16], n_crops=[2], min_scale_crops=[0.2],
              max_scale_crops=[1.0], optimizer='sgd', lr=0.003, n_neg=64, feat_dim=32, knn_every=0, report=False,
              progress=False, seed=2, fill_bank=True)  # a filled bank and a small lr: a tame loss, so rounding is not amplified
    eager = train('digits_swav', **kw, out_dir=str(tmp_path / 'eager'))
    comp = train('digits_swav', **kw, compile=True, out_dir=str(tmp_path / 'compiled'))
    assert comp['method'].trunk._compiled_call_impl is not None and eager['method'].trunk._compiled_call_impl is None
    # compiled kernels fuse and reorder float ops: equal up to rounding, not bit for bit
    assert [h['loss'] for h in comp['history']] == pytest.approx([h['loss'] for h in eager['history']], rel=2e-4)
    a, b = eager['method'].state_dict(), comp['method'].state_dict()
    assert list(a) == list(b)
    assert max((a[k].float() - b[k].float()).abs().max().item() for k in a if 'trunk' in k) < 1e-4
    trunk, cfg = load_trunk(tmp_path / 'compiled')
    assert cfg.compile and trunk(torch.zeros(1, 3, 16, 16)).shape == (1, trunk.dim)

@pytest.mark.parametrize('cl', [True, False])
def test_channels_last_weights(cl, tmp_path):
    "`channels_last` (the default) keeps the network's 4-d weights NHWC through training; off, they stay NCHW."
    out = train('digits_swav', **_digits('swav', tmp_path, max_steps=1, channels_last=cl))
    w = [p for p in out['method'].parameters() if p.ndim == 4]
    assert w and all(p.is_contiguous(memory_format=torch.channels_last) == cl for p in w)
    assert all(p.is_contiguous() != cl for p in w)

def test_sample_order_reaches_the_sampler():
    "A method's sample_order (chapter 23: DeepCluster's uniform-over-clusters draw) is what StepSampler cuts into batches, seeded from (seed, epoch); None keeps the uniform permutation."
    from swav_lit.build import StepSampler
    from swav_lit.core import mix_seed
    seen = []
    def order(epoch, g): seen.append((epoch, g.initial_seed())); return torch.arange(12).flip(0) % 7  # repeats allowed
    s = StepSampler(12, 4, rank=1, world=2, seed=3, order=order); s.set_epoch(2)
    assert list(s) == [2, 1, 5, 4, 1, 0] and seen == [(2, mix_seed(3, 2))]  # rank 1: the second half of every batch
    s.set_epoch(2, start=2); assert list(s) == [1, 0]                          # a resume in the middle keeps the order
    plain = StepSampler(12, 4, seed=3, order=lambda e, g: None); plain.set_epoch(1)
    assert list(plain) == torch.randperm(12, generator=torch.Generator().manual_seed(mix_seed(3, 1))).tolist()
