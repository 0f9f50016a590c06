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
