"""swav_lit.eval: the class-balanced subset sampler, the quick linear probe against scikit-learn (an independent
implementation of the same objective), and the `swav_lit_eval` command on a tiny checkpoint written by swav_lit.train."""
import configparser, subprocess, sys
from pathlib import Path
import numpy as np, pytest, torch
from swav_lit.loop import fit_logreg, linear_probe_features
from swav_lit.eval import balanced_subset, cpu_epochs, cli, main

ROOT = Path(__file__).resolve().parents[1]


def shuffled_targets(sizes, seed=0):
    t = torch.cat([torch.full((n,), c) for c, n in enumerate(sizes)])
    return t[torch.randperm(len(t), generator=torch.Generator().manual_seed(seed))]


def test_balanced_subset_exact_counts():
    t = shuffled_targets([30, 50, 200])  # unequal classes, N=280, C=3
    for pct, n in ((1, 1), (10, 9), (30, 28)):  # n = max(1, round(pct/100 * 280/3))
        idx = balanced_subset(t, pct, seed=1)
        assert torch.bincount(t[idx], minlength=3).tolist() == [n] * 3
        assert len(set(idx.tolist())) == 3 * n and idx.tolist() == sorted(idx.tolist())


def test_balanced_subset_seeded():
    t = shuffled_targets([40, 40, 40, 40])
    assert torch.equal(balanced_subset(t, 10, seed=5), balanced_subset(t, 10, seed=5))
    assert not torch.equal(balanced_subset(t, 10, seed=5), balanced_subset(t, 10, seed=6))
    with pytest.raises(ValueError, match='fewer than'): balanced_subset(shuffled_targets([30, 200]), 50)


def blobs(n, C=5, d=20, spread=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = spread * torch.randn(C, d, generator=torch.Generator().manual_seed(123))
    y = torch.arange(n) % C
    return centres[y] + torch.randn(n, d, generator=g) * torch.linspace(0.5, 3, d), y  # unequal scales per dim


def test_quick_probe_matches_sklearn():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    (h, y), (ht, yt) = blobs(600), blobs(400, seed=1)
    wd = 1e-2
    lin, _ = fit_logreg(h, y, wd=wd)
    sc = StandardScaler().fit(h.numpy())
    sk = LogisticRegression(C=1 / (wd * len(y)), max_iter=1000, tol=1e-8).fit(sc.transform(h.numpy()), y.numpy())
    p_ours = torch.softmax(lin(ht), 1).detach().numpy()
    p_sk = sk.predict_proba(sc.transform(ht.numpy()))
    assert np.abs(p_ours - p_sk).max() < 2e-3  # the same optimum, not just similar accuracy
    acc, _ = linear_probe_features(h, y, ht, yt, wd=wd)
    assert abs(acc - (p_sk.argmax(1) == yt.numpy()).mean()) < 0.01
    assert 0.4 < acc < 0.99  # overlapping classes: a non-trivial comparison


def test_quick_probe_separable_and_random_labels():
    (h, y), (ht, yt) = blobs(1000, C=10, d=32, spread=4.), blobs(500, C=10, d=32, spread=4., seed=1)
    assert linear_probe_features(h, y, ht, yt)[0] == 1.0
    g = torch.Generator().manual_seed(2)
    acc, _ = linear_probe_features(h, torch.randint(0, 10, (1000,), generator=g), ht, torch.randint(0, 10, (500,), generator=g))
    assert abs(acc - 0.1) < 0.05


def test_cpu_epochs():
    assert (cpu_epochs(100, 1437), cpu_epochs(20, 140), cpu_epochs(100, 50000), cpu_epochs(20, 10)) == (13, 20, 1, 20)


def test_console_script_declared():
    c = configparser.ConfigParser(delimiters=['=']); c.read(ROOT / 'settings.ini')
    scripts = [s.strip() for s in c['DEFAULT']['console_scripts'].split('\n') if s.strip()]  # as setup.py reads it
    assert 'swav_lit_eval=swav_lit.eval:main' in scripts
    r = subprocess.run([sys.executable, '-m', 'swav_lit.eval', '--help'], capture_output=True, text=True)
    assert r.returncode == 0 and '--semisup' in r.stdout and '--linear' in r.stdout


def test_bad_semisup_argument():
    with pytest.raises(SystemExit): cli(['nowhere', '--semisup', 'ten'])
    with pytest.raises(SystemExit): cli(['nowhere', '--semisup', '1', '--semisup-lr', '0.02'])  # needs TRUNK,HEAD


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    "A checkpoint of the main job's run (SwAV with multi-crop on the digits) after one optimiser step."
    from swav_lit.train import train
    from swav_lit.config import get_config
    run = tmp_path_factory.mktemp('eval') / 'digits_swav'
    train(get_config('digits_swav'), epochs=1, max_steps=1, out_dir=str(run), report=False, knn_every=0, progress=False)
    return run


def test_cli_on_checkpoint(tiny_run, capsys):
    rows = cli([str(tiny_run), '--knn', '--linear', 'swav', '--linear-epochs', '1', '--semisup', '1,10',
                 '--semisup-epochs', '1'])
    out = capsys.readouterr().out
    assert [r['metric'] for r in rows] == ['kNN k=20', 'linear (SwAV)', 'semi-sup 1%', 'semi-sup 10%']  # k=20 only: the rule k <= N/(2C)
    lines = {r['metric']: next(l for l in out.splitlines() if l.startswith(r['metric'])) for r in rows}
    for r in rows:
        assert 0 <= r['trained'] <= 1 and 0 <= r['random init'] <= 1
        assert f"trained {r['trained']:6.1%}" in lines[r['metric']] and 'random init' in lines[r['metric']]
    assert 'weighted kNN, k=20, tau=0.07' in lines['kNN k=20'] and 'k <= N/(2C) = 71' in lines['kNN k=20']
    assert 0.9 < rows[0]['raw pixels'] <= 1 and 'raw pixels' not in rows[1]  # the pixel baseline: kNN and the quick probe only
    assert 'supervised' in out and 'swav_lit_train --config digits_swav --method supervised' in out
    assert 'SwAV linear protocol' in lines['linear (SwAV)'] and '1 of 100 epochs (REDUCED)' in lines['linear (SwAV)']
    assert 'lr trunk 0.02 head 5' in lines['semi-sup 1%'] and '10 labels (1 per class' in lines['semi-sup 1%']
    assert 'lr trunk 0.01 head 0.2' in lines['semi-sup 10%'] and '140 labels (14 per class' in lines['semi-sup 10%']
    assert '1 of 20 epochs (REDUCED)' in lines['semi-sup 10%']
    assert "run 'digits_swav' (swav, small trunk, digits" in out


def test_cli_quick_probe_no_baseline(tiny_run, capsys):
    rows = cli([str(tiny_run / 'checkpoint.pt'), '--linear', 'quick', '--no-baseline'])
    out = capsys.readouterr().out
    assert [r['metric'] for r in rows] == ['linear (quick)'] and 'random init' not in rows[0]
    assert rows[0]['trained'] > 0.5 and 'quick linear probe (not the SwAV protocol)' in out


def test_console_entry_exits_zero(tiny_run):
    "The console script wrapper does sys.exit(main()): main must return None (a returned list would exit 1)."
    r = subprocess.run([sys.executable, '-c', 'import sys; from swav_lit.eval import main; sys.exit(main())',
                        str(tiny_run), '--knn', '--no-baseline'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines()[-1].startswith('kNN k=20        trained')


def test_semisup_divergence_is_flagged(tiny_run, capsys):
    "A head lr far too large for 10 labels blows the loss up: the row says DIVERGED and names the fix; a sane lr is not flagged."
    rows = cli([str(tiny_run), '--semisup', '1', '--semisup-epochs', '6', '--semisup-lr', '0.02,50', '--no-baseline'])
    assert 'lr trunk 0.02 head 50' in rows[0]['protocol'] and 'DIVERGED (trained' in rows[0]['protocol']
    assert '--semisup-lr 0.02,5' in rows[0]['protocol']
    rows = cli([str(tiny_run), '--semisup', '1', '--semisup-epochs', '6', '--semisup-lr', '0.02,0.5', '--no-baseline'])
    assert 'head 0.5' in rows[0]['protocol'] and 'DIVERGED' not in rows[0]['protocol']
