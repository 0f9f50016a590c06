"""Faults and bad input (issue 14): non-finite config values are refused, a diverged model is never checkpointed,
a resume that changes what the checkpoint depends on is refused by name, and every failure of the command lines
ends in one error line (the traceback only with --debug)."""
import math
from pathlib import Path
import pytest, torch
import swav_lit.train as tr
import swav_lit.eval as ev
from swav_lit.config import get_config, validate, ConfigError
from swav_lit.runs import load_checkpoint, CKPT_NAME, CheckpointError, atomic_save
from swav_lit.train import train, main, Diverged

def _npid(out, **kw):
    "NPID on 200 of the digits, 5 steps per epoch, no evaluation: the cheapest real run."
    return dict(dict(method='npid', optimizer='sgd', lr=0.03, n_train=200, batch_size=40, epochs=2, size_crops=[16], n_crops=[1],
                     min_scale_crops=[0.2], max_scale_crops=[1.0], n_neg=64, feat_dim=32, knn_every=0, report=False,
                     progress=False, out_dir=str(out), seed=1, fill_bank=False, workers=0), **kw)

# ---------------------------------------------------------------- divergence (issue 14, item 4)
@pytest.mark.parametrize('key,value', [('lr', 'inf'), ('lr', 'nan'), ('wd', float('inf')), ('min_scale_crops', ['nan'])])
def test_nonfinite_config_values_refused(key, value):
    with pytest.raises(ConfigError, match=f'{key}=.* is not a finite number'): get_config('digits_swav', **{key: value})
    with pytest.raises(SystemExit) as e: main([f'--{key}', str(value[0] if isinstance(value, list) else value)])
    assert f'{key}=' in str(e.value) and 'not a finite number' in str(e.value)

def _blow_up_at(monkeypatch, bad_step):
    "The schedule gives lr=inf from optimiser step `bad_step` (0-based) on: what `--lr inf` did before validation refused it."
    real = tr.lr_at
    monkeypatch.setattr(tr, 'lr_at', lambda step, cfg, spe: math.inf if step >= bad_step else real(step, cfg, spe))

def test_diverged_weights_never_checkpointed(monkeypatch, tmp_path):
    """Step 6 (the first of epoch 2) has lr=inf: its loss was computed before the step and is finite, the weights after it
    are not. The run stops there with one message naming the step and the fixes, and the checkpoint of step 5 stays."""
    _blow_up_at(monkeypatch, 5)
    with pytest.raises(Diverged) as e: train('digits_swav', **_npid(tmp_path, max_steps=6))
    msg = str(e.value)
    assert 'diverged at step 6' in msg and 'lower lr' in msg and 'warmup' in msg and '--precision no' in msg, msg
    assert 'last good checkpoint' in msg and str(tmp_path / CKPT_NAME) in msg
    ck = load_checkpoint(tmp_path)
    assert ck['step'] == 5 and all(torch.isfinite(v).all() for v in ck['model'].values() if v.is_floating_point())

def test_diverged_loss_stops_at_its_step(monkeypatch, tmp_path):
    "Without max_steps the next step's loss is NaN: the run stops at that step, the CLI says so in one line, exit status 1."
    _blow_up_at(monkeypatch, 5)
    args = [f'--{k}={" ".join(map(str, v)) if isinstance(v, list) else v}' for k, v in _npid(tmp_path).items()]
    with pytest.raises(SystemExit) as e: main(args)
    assert str(e.value).startswith('swav_lit_train: error: training diverged at step 7: the loss is nan'), e.value
    assert '\n' not in str(e.value) and load_checkpoint(tmp_path)['step'] == 5

# ---------------------------------------------------------------- resume checks (issue 14, item 6)
@pytest.mark.parametrize('change,field', [(dict(method='pirl', pretext='rotation'), 'method'), (dict(arch='resnet18'), 'arch'),
                                          (dict(n_train=100), 'n_train'), (dict(data='cifar10'), 'data')])
def test_resume_refuses_a_changed_run(change, field, tmp_path, monkeypatch):
    train('digits_swav', **_npid(tmp_path, max_steps=1))
    monkeypatch.setattr(tr, '_accelerator', lambda cfg: pytest.fail('work started before the resume was checked'))
    with pytest.raises(ConfigError, match=f"--resume: {field}=.* differs from the checkpoint's {field}="):
        train('digits_swav', resume=tmp_path, **_npid(tmp_path, **change))

def test_resume_refuses_other_images(tmp_path, monkeypatch):
    "The same config on a folder that now holds other images: a memory bank of 200 rows must not train on 120."
    train('digits_swav', **_npid(tmp_path, max_steps=1))
    real = tr.build_data
    monkeypatch.setattr(tr, 'build_data', lambda cfg, split: tr.Subset(real(cfg, split), range(120)))
    with pytest.raises(ConfigError, match='the data now has 120 training images, the checkpoint was trained on 200'):
        train('digits_swav', resume=tmp_path, **_npid(tmp_path))

# ---------------------------------------------------------------- one error line (issue 14, item 7)
def test_foreign_and_corrupt_checkpoints(tmp_path):
    torch.save({'conv1.weight': torch.zeros(1)}, tmp_path / 'tv.pt')  # e.g. a torchvision state_dict
    with pytest.raises(CheckpointError, match="is not a swav_lit checkpoint \\(no 'config' or 'model' entry\\)"):
        load_checkpoint(tmp_path / 'tv.pt')
    (tmp_path / 'bad.pt').write_bytes(b'not a checkpoint at all')
    for f in ('tv.pt', 'bad.pt', 'missing.pt'):
        with pytest.raises(SystemExit) as e: main(['--resume', str(tmp_path / f)])
        assert str(e.value).startswith('swav_lit_train: error: ') and '\n' not in str(e.value) and f in str(e.value), e.value
        with pytest.raises(SystemExit) as e: ev.cli([str(tmp_path / f), '--knn'])
        assert str(e.value).startswith('swav_lit_eval: error: ') and '\n' not in str(e.value) and f in str(e.value), e.value

def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    (tmp_path / 'bad.pt').write_bytes(b'junk')
    with pytest.raises(CheckpointError): main(['--resume', str(tmp_path / 'bad.pt'), '--debug'])
    with pytest.raises(CheckpointError): ev.cli([str(tmp_path / 'bad.pt'), '--knn', '--debug'])
    monkeypatch.setenv('SWAV_LIT_DEBUG', '1')
    with pytest.raises(CheckpointError): main(['--resume', str(tmp_path / 'bad.pt')])

def test_out_dir_that_is_a_file(tmp_path):
    (tmp_path / 'taken').write_text('a file, not a folder')
    with pytest.raises(SystemExit) as e: main(['--out_dir', str(tmp_path / 'taken'), '--max_steps', '1', '--report', 'false'])
    assert str(e.value).startswith('swav_lit_train: error: ') and 'taken' in str(e.value) and '\n' not in str(e.value), e.value

def test_name_override(capsys):
    "--name once crashed: get_config() got multiple values for argument 'name'."
    main(['--name', 'my_run', '--show'])
    assert "config 'my_run'" in capsys.readouterr().out
    assert get_config('digits_swav', name='x').name == 'x'

# ---------------------------------------------------------------- run folders (issue 14, items 5 and 10)
def test_run_folder_lock_and_leftovers(tmp_path):
    "A live holder's lock refuses a second run (naming its PID); a dead holder's is taken over; dead writes' temp files go."
    import subprocess, sys
    from swav_lit.runs import claim_run_dir, release_run_dir, RunDirBusy
    live = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    dead = subprocess.Popen([sys.executable, '-c', 'pass']); dead.wait()
    try:
        run = tmp_path / 'run'; run.mkdir()
        (run / '.lock').write_text(f'{live.pid}\n')
        with pytest.raises(RunDirBusy, match=f'in use by process {live.pid}'): claim_run_dir(run)
        with pytest.raises(SystemExit) as e: main(['--out_dir', str(run), '--max_steps', '1', '--report', 'false'])
        assert f'in use by process {live.pid}' in str(e.value) and not (run / 'config.json').exists()
        (run / '.lock').write_text(f'{dead.pid}\n')
        for pid in (dead.pid, live.pid): (run / f'.{CKPT_NAME}.tmp{pid}').write_bytes(b'partial')
        claim_run_dir(run)
        assert (run / '.lock').read_text().split()[0] == str(__import__('os').getpid())
        assert sorted(p.name for p in run.glob('.checkpoint.pt.tmp*')) == [f'.{CKPT_NAME}.tmp{live.pid}']  # a live writer's stays
        release_run_dir(run); assert not (run / '.lock').exists()
    finally: live.kill(); live.wait()

def test_metrics_csv_written_atomically(tmp_path, monkeypatch):
    "A write that dies midway leaves the previous metrics.csv whole (it was found empty after 3 of 10 kills)."
    import csv as csv_mod
    from swav_lit.runs import write_csv
    write_csv([dict(step=1, loss=2.0)], tmp_path / 'metrics.csv')
    class Dying(csv_mod.DictWriter):
        def writerows(self, rows): raise KeyboardInterrupt('killed mid-write')
    monkeypatch.setattr(csv_mod, 'DictWriter', Dying)
    with pytest.raises(KeyboardInterrupt): write_csv([dict(step=1, loss=2.0), dict(step=2, loss=1.5)], tmp_path / 'metrics.csv')
    assert (tmp_path / 'metrics.csv').read_text().split() == ['step,loss', '1,2.0'] and len(list(tmp_path.iterdir())) == 1

# ---------------------------------------------------------------- the lead's finds beside issue 14's list
def test_config_printout_keeps_a_separator(capsys):
    "A value longer than its column ran into the next: `out_dir=/work/runs/s1/cifar10_swav_cpuckpt_every=1`."
    from swav_lit.config import show_config
    show_config(get_config('cifar10_swav_cpu', out_dir='/work/runs/s1/cifar10_swav_cpu', data_root='/work/shared/datasets/cifar10'))
    out = capsys.readouterr().out
    assert 'data_root=/work/shared/datasets/cifar10  norm_stats=[]' in out, out  # a long value mid-row: the next column moves over
    import re
    for line in out.splitlines()[1:]:  # every item is key=value and two spaces or more part it from the next
        assert all(re.match(r'^[a-z_]+=', item) for item in re.split(r'\s{2,}', line.strip())), line

def test_name_with_a_config_names_the_run_and_its_folder(tmp_path, monkeypatch, capsys):
    "`--config cifar10_swav_cpu --name foo` crashed: get_config() got multiple values for argument 'name'."
    main(['--config', 'cifar10_swav_cpu', '--name', 'foo', '--show'])
    assert "config 'foo'" in capsys.readouterr().out
    monkeypatch.setattr(tr, 'default_run_dir', lambda name: tmp_path / name)
    kw = {k: v for k, v in _npid(tmp_path, max_steps=1).items() if k != 'out_dir'}
    train('digits_swav', name='foo', **kw)
    assert load_checkpoint(tmp_path / 'foo')['config']['name'] == 'foo'

# ---------------------------------------------------------------- run folders (issue 14, item 5)
def test_new_run_into_a_run_folder_refused_unless_overwrite(tmp_path):
    train('digits_swav', **_npid(tmp_path, max_steps=1))
    before = (tmp_path / 'config.json').read_text()
    with pytest.raises(tr.RunDirBusy, match=f'run folder {tmp_path} already holds a run .*--resume.*--overwrite'):
        train('digits_swav', **_npid(tmp_path, max_steps=2, seed=2))
    with pytest.raises(SystemExit) as e: main(['--out_dir', str(tmp_path), '--max_steps', '1', '--report', 'false'])
    assert 'already holds a run' in str(e.value) and '\n' not in str(e.value)
    assert (tmp_path / 'config.json').read_text() == before and load_checkpoint(tmp_path)['step'] == 1
    train('digits_swav', overwrite=True, **_npid(tmp_path, max_steps=2, seed=2))
    ck = load_checkpoint(tmp_path)
    assert ck['step'] == 2 and ck['config']['seed'] == 2 and len(ck['history']) == 2

def test_a_failing_invocation_leaves_the_run_folder_alone(tmp_path):
    "config.json was written before the data checks: a failing run overwrote a finished run's, which then disagreed with its checkpoint."
    train('digits_swav', **_npid(tmp_path, max_steps=1))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    for bad in (['--data', 'imagenet', '--data_root', str(tmp_path / 'nowhere'), '--aug', 'pil'], ['--batch_size', '5000']):
        with pytest.raises(SystemExit) as e: main(['--out_dir', str(tmp_path), '--report', 'false', *bad])
        assert str(e.value).startswith('swav_lit_train: error: '), e.value
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before

def test_resume_writes_where_the_checkpoint_is(tmp_path):
    "`--resume` on a copied run folder wrote into the original (the out_dir in its config)."
    import shutil
    train('digits_swav', **_npid(tmp_path / 'orig', max_steps=1))
    shutil.copytree(tmp_path / 'orig', tmp_path / 'copy')
    kw = {k: v for k, v in _npid(tmp_path, max_steps=2).items() if k != 'out_dir'}
    res = train('digits_swav', resume=tmp_path / 'copy', **kw)
    assert res['run_dir'] == tmp_path / 'copy' and load_checkpoint(tmp_path / 'copy')['step'] == 2
    assert load_checkpoint(tmp_path / 'orig')['step'] == 1
    assert main(['--resume', str(tmp_path / 'copy' / CKPT_NAME), '--max_steps', '3', '--report', 'false']) is None
    assert load_checkpoint(tmp_path / 'copy')['step'] == 3 and load_checkpoint(tmp_path / 'orig')['step'] == 1

# ---------------------------------------------------------------- divergence flagged before NaN (issue 14, item 4)
def test_runaway_loss_and_weights_flagged(tmp_path, capsys):
    "`--lr 1e6` ran to the end (loss 4.3 -> 15, weights about 4e16) without a word: now each epoch says so."
    train('digits_swav', method='swav', lr=1e6, optimizer='sgd', n_train=200, batch_size=40, epochs=1, size_crops=[16], n_crops=[2],
          min_scale_crops=[0.2], max_scale_crops=[1.0], n_prototypes=20, freeze_prototypes_iters=0, knn_every=0, report=False,
          progress=False, out_dir=str(tmp_path), workers=0)
    out = capsys.readouterr().out
    assert 'WARNING: the loss' in out and 'far above ln K = 3' in out and 'lower lr' in out, out
    assert 'WARNING: the weights have grown' in out and 'without bound' in out, out
    assert 'far above ln K' in load_checkpoint(tmp_path)['history'][-1]['warnings']
    m = torch.nn.Linear(4, 4); m.collapse_loss = math.log(20)
    w0 = tr._weight_norm(m)
    assert tr._runaway(m, 2.9, w0, 0.1) == []  # a healthy run: nothing said
    with torch.no_grad(): m.weight.mul_(1000)
    assert [s.split(' ')[1] for s in tr._runaway(m, 7.0, w0, 0.1)] == ['loss', 'weights']

# ---------------------------------------------------------------- one error line (issue 14, item 7)
def test_disk_full_is_one_line(tmp_path, monkeypatch):
    "'No space left on device' was the 9th line of 31."
    import errno
    def full(obj, path): raise OSError(errno.ENOSPC, 'No space left on device', str(path))
    monkeypatch.setattr(tr, 'atomic_save', full)
    args = [f'--{k}={" ".join(map(str, v)) if isinstance(v, list) else v}' for k, v in _npid(tmp_path, max_steps=1).items()]
    with pytest.raises(SystemExit) as e: main(args)
    assert str(e.value) == (f'swav_lit_train: error: No space left on device: {tmp_path / CKPT_NAME}: free some space or '
                            f'choose another --out_dir'), e.value
    assert not (tmp_path / '.lock').exists()  # the folder is free again

def test_assign_and_grade_fail_in_one_line(tmp_path, capsys):
    from swav_lit.assign import assign_main
    from swav_lit.grade import grade_main
    (tmp_path / 'nb.ipynb').write_text('{}')
    (tmp_path / 'man.json').write_text('{"a": 1}')
    cases = [(assign_main, [str(tmp_path / 'nb.ipynb'), str(tmp_path / 'out')], 'nb.ipynb is not a notebook'),
             (grade_main, [str(tmp_path / 'nb.ipynb'), '-m', str(tmp_path / 'man.json')], 'man.json is not a manifest'),
             (grade_main, [str(tmp_path / 'nb.ipynb'), '-m', str(tmp_path / 'none.json')], 'cannot read the manifest'),
             (grade_main, [str(tmp_path / 'gone.ipynb'), '-m', str(tmp_path / 'man.json')], 'man.json is not a manifest')]
    for fn, argv, words in cases:
        with pytest.raises(SystemExit) as e: fn(argv)
        prog = 'swav_lit_assign' if fn is assign_main else 'swav_lit_grade'
        assert str(e.value).startswith(f'{prog}: error: ') and words in str(e.value) and '\n' not in str(e.value), e.value
        with pytest.raises((ValueError, FileNotFoundError)): fn(argv + ['--debug'])  # the traceback, when asked for
    with pytest.raises(SystemExit) as e: assign_main([])
    assert e.value.code == 2  # a usage error: argparse's status 2

# ---------------------------------------------------------------- checkpoints hold plain types (issue 14, item 11)
@pytest.mark.parametrize('method', ['npid', 'swav'])
def test_checkpoints_load_with_weights_only(method, tmp_path):
    train('digits_swav', **_npid(tmp_path, max_steps=1, method=method, n_crops=[2], size_crops=[16], min_scale_crops=[0.2],
                                 max_scale_crops=[1.0], n_prototypes=20))
    ck = torch.load(tmp_path / CKPT_NAME, weights_only=True)  # plain torch: no allowlist at all
    assert ck['step'] == 1 and isinstance(ck['ranks'][0]['rng']['numpy'][1], list)

def test_a_checkpoint_that_carries_code_is_refused(tmp_path):
    import os
    class Evil:
        def __reduce__(self): return (os.system, (f'touch {tmp_path / "PWNED"}',))
    torch.save(dict(config={}, model={}, payload=Evil()), tmp_path / 'evil.pt')
    with pytest.raises(CheckpointError, match='evil.pt holds objects other than tensors and plain values \\(posix.system'):
        load_checkpoint(tmp_path / 'evil.pt')
    for cli in (main, ev.cli):
        with pytest.raises(SystemExit) as e: cli(['--resume', str(tmp_path / 'evil.pt')] if cli is main else [str(tmp_path / 'evil.pt')])
        assert 'evil.pt holds objects other than tensors' in str(e.value) and '\n' not in str(e.value)
    assert not (tmp_path / 'PWNED').exists()

def test_older_checkpoints_with_numpy_rng_still_load(tmp_path):
    "Checkpoints written before this change hold numpy's RNG state as an array: those (and only numpy arrays) are allowed."
    import numpy as np
    train('digits_swav', **_npid(tmp_path, max_steps=1))
    ck = torch.load(tmp_path / CKPT_NAME, weights_only=True)
    n = ck['ranks'][0]['rng']['numpy']; ck['ranks'][0]['rng']['numpy'] = (n[0], np.array(n[1], dtype=np.uint32), *n[2:])
    torch.save(ck, tmp_path / CKPT_NAME)
    assert isinstance(load_checkpoint(tmp_path)['ranks'][0]['rng']['numpy'][1], np.ndarray)
    train('digits_swav', resume=tmp_path, **_npid(tmp_path, max_steps=2))
    assert load_checkpoint(tmp_path)['step'] == 2
