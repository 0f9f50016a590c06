"""Chapter 35: the model zoo (load by name, checksum, a clear error for a bad name, shipped in the wheel, made from a run
folder) and the lens's statistics on cases worked by hand."""
import ast, json, math, shutil
from pathlib import Path
import pytest, torch
from sklearn.metrics import normalized_mutual_info_score
from swav_lit.data import find_shared
from swav_lit.zoo import (list_pretrained, load_pretrained, zoo_info, zoo_dir, make_entry, subset_check, sha256_file,
                          inference_state, ZooError)
from swav_lit.lens import usage_stats, purity, contingency, nmi, usage_counts, proto_scores, top_claimed, retrieve
ROOT = Path(__file__).resolve().parents[1]
ENTRY = 'cifar10_swav'

def test_zoo_lists_and_loads_by_name():
    assert ENTRY in list_pretrained()
    info = zoo_info(ENTRY)
    assert info['sha256'] == sha256_file(zoo_dir() / info['file']) and (zoo_dir() / info['file']).stat().st_size < 5e6
    assert set(info['metrics']) == {'trained', 'random_init', 'pixels'} and info['command'].startswith('swav_lit_train')
    m, cfg = load_pretrained(ENTRY)
    assert not m.training and cfg.method == info['method'] and m.prototypes.out_features == cfg.n_prototypes
    sd = torch.load(zoo_dir() / info['file'], weights_only=True)  # tensors only: weights_only loads it
    assert all(torch.equal(v, sd[k]) for k, v in m.state_dict().items() if k in sd)
    x = torch.randn(4, 3, 32, 32)
    z = m.head(m.trunk(x)); assert z.shape == (4, cfg.feat_dim) and torch.allclose(z.norm(dim=1), torch.ones(4))

@pytest.mark.skipif(find_shared() is None, reason='shared/datasets/cifar10-jpg.tar.gz is not beside this checkout')
def test_zoo_knn_recomputed_matches_card():
    m, cfg = load_pretrained(ENTRY); info = zoo_info(ENTRY)
    c = info['check']
    assert abs(subset_check(m.trunk, cfg, c['n_train'], c['n_test'], c['k']) - c['knn']) <= 0.005
    # the full-size numbers are consistent: trained above random init, and the subset check below the full bank's
    assert info['metrics']['trained']['knn20'] > info['metrics']['random_init']['knn20']

def test_bad_name_lists_available():
    with pytest.raises(ZooError, match=ENTRY): load_pretrained('no_such_model')

def test_sha256_mismatch_raises(tmp_path):
    for f in ('json', 'pt'): shutil.copy(zoo_dir() / f'{ENTRY}.{f}', tmp_path)
    p = tmp_path / f'{ENTRY}.pt'; b = bytearray(p.read_bytes()); b[len(b) // 2] ^= 0xFF; p.write_bytes(b)
    with pytest.raises(ZooError, match='sha256'): load_pretrained(ENTRY, zoo=tmp_path)

def test_setup_ships_the_zoo():
    tree = ast.parse((ROOT / 'setup.py').read_text())
    kw = next(k for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords if k.arg == 'package_data')
    assert 'zoo/*' in ast.literal_eval(kw.value)['swav_lit']

def test_make_entry_from_a_digits_run(tmp_path):
    "A 2-step digits run becomes an entry whose loaded weights are the checkpoint's and whose card holds the metrics."
    from swav_lit.train import train
    from swav_lit.runs import load_checkpoint
    train('digits_swav', out_dir=str(tmp_path / 'run'), max_steps=2, knn_every=0, progress=False, report=False)
    info = make_entry(tmp_path / 'run', 'tiny', 'swav_lit_train --max_steps 2', zoo=tmp_path / 'zoo')
    m, cfg = load_pretrained('tiny', zoo=tmp_path / 'zoo')
    ck = load_checkpoint(tmp_path / 'run')['model']
    assert all(torch.equal(v, ck[k]) for k, v in m.state_dict().items() if k.startswith(('trunk.', 'head.', 'prototypes.')))
    assert 'queue' not in torch.load(tmp_path / 'zoo' / 'tiny.pt', weights_only=True)
    for row in info['metrics'].values(): assert all(0 <= row[k] <= 1 for k in ('knn20', 'knn200', 'linear'))
    assert json.loads((tmp_path / 'zoo' / 'tiny.json').read_text())['sha256'] == sha256_file(tmp_path / 'zoo' / 'tiny.pt')
    # the baselines of an entry of the same data, trunk and seed are copied, not recomputed; another seed is refused
    again = make_entry(tmp_path / 'run', 'tiny2', 'same run', zoo=tmp_path / 'zoo', baselines_from='tiny')
    assert again['metrics'] == info['metrics']
    train('digits_swav', out_dir=str(tmp_path / 'run3'), max_steps=1, knn_every=0, progress=False, report=False, seed=3)
    with pytest.raises(ZooError, match='seed'): make_entry(tmp_path / 'run3', 'tiny3', 'x', zoo=tmp_path / 'zoo', baselines_from='tiny')

def test_usage_statistic_toy_cases():
    K, N = 8, 800
    assert abs(usage_stats(torch.zeros(N, K))['I']) < 1e-12                                    # flat: I = 0
    onehot = torch.nn.functional.one_hot(torch.arange(N) % K, K).float()
    assert abs(usage_stats(onehot, tau=1e-3)['I'] - math.log(K)) < 1e-6                       # balanced one-hot: ln K
    one = torch.nn.functional.one_hot(torch.zeros(N, dtype=torch.long), K).float()
    assert abs(usage_stats(one, tau=1e-3)['I']) < 1e-6                                         # one prototype for all: 0
    noisy = usage_stats(1e-4 * torch.randn(N, K, generator=torch.Generator().manual_seed(0)))
    assert noisy['H_argmax'] > 0.95 * math.log(K) and noisy['I'] < 1e-4                        # spread argmax, no information

def test_purity_nmi_by_hand():
    a, y = torch.tensor([0, 0, 0, 1, 1, 2]), torch.tensor([0, 0, 1, 1, 1, 2])
    assert contingency(a, y, K=4).tolist() == [[2, 1, 0], [0, 2, 0], [0, 0, 1], [0, 0, 0]]
    p, lab = purity(a, y, K=4)
    assert torch.allclose(p[:3], torch.tensor([2 / 3, 1., 1.])) and p[3].isnan() and lab[:3].tolist() == [0, 1, 2]
    assert usage_counts(a, 4).tolist() == [3, 2, 1, 0]
    H = lambda *q: -sum(x * math.log(x) for x in q)
    assert abs(nmi(a, y) - (H(1/2, 1/3, 1/6) - 0.5 * H(2/3, 1/3)) / H(1/2, 1/3, 1/6)) < 1e-9
    g = torch.Generator().manual_seed(0)
    a, y = torch.randint(0, 30, (500,), generator=g), torch.randint(0, 10, (500,), generator=g)
    assert abs(nmi(a, y) - normalized_mutual_info_score(y.numpy(), a.numpy())) < 1e-9

def test_claims_and_retrieval():
    s = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.1, 0.95]])
    assert top_claimed(s, [1, 0], 2).tolist() == [[3, 1], [0, 2]]
    bank = torch.tensor([[1., 0.], [0., 2.], [1., 1.]])
    assert retrieve(torch.tensor([[3., 0.1]]), bank, 2).tolist() == [[0, 2]]
    assert proto_scores(torch.tensor([[1., 0.]]), torch.tensor([[2., 0.], [0., 5.]])).tolist() == [[1., 0.]]
