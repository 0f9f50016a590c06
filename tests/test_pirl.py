"PIRL (swav_lit.pirl): jigsaw and rotation transforms, the patch head, the λ=0 identity with NPID."
import copy
import numpy as np, pytest, torch
import torchvision.transforms as T
from PIL import Image
from swav_lit.core import set_seed
from swav_lit.data import DIGITS_STATS
from swav_lit.models import SmallConvNet
from swav_lit.nce import NPID
from swav_lit.pirl import (Jigsaw, JigsawHead, PIRL, RandomRot90, jigsaw_sizes, pirl_transform, rot90, unshuffle)


@pytest.fixture
def img():
    return Image.fromarray(np.random.RandomState(0).randint(0, 256, (30, 30, 3), dtype=np.uint8))


def test_jigsaw_sizes():
    assert jigsaw_sizes(256) == (255, 64) and jigsaw_sizes(32) == (30, 8)


def test_unshuffle_restores_grid(img):
    set_seed(0)
    x = T.Normalize(*DIGITS_STATS)(T.ToTensor()(img))
    jig = Jigsaw(30, 10, scale=(1., 1.), jitter=False, colour=None, stats=DIGITS_STATS)
    for _ in range(10):
        ps, perm = jig.sample(img)
        assert ps.shape == (9, 3, 10, 10)
        assert torch.equal(unshuffle(ps, perm), x)
    assert Jigsaw(*jigsaw_sizes(32), stats=DIGITS_STATS)(img).shape == (9, 3, 8, 8)


def test_rotation_labels(img):
    a = torch.tensor([[1, 2], [3, 4]])
    assert torch.equal(rot90(a, 1), torch.tensor([[2, 4], [1, 3]]))
    x = T.PILToTensor()(img)
    set_seed(0)
    ks = set()
    for _ in range(40):
        r, k = RandomRot90().sample(img)
        assert torch.equal(T.PILToTensor()(r), rot90(x, k)); ks.add(k)
    assert ks == {0, 1, 2, 3}


def test_jigsaw_head_formula():
    hd, h = JigsawHead(16, dim=8), torch.randn(3, 9, 16)
    ref = torch.stack([hd.fc2(torch.cat([hd.fc1(h[b, k]) for k in range(9)])) for b in range(3)])
    torch.testing.assert_close(hd(h), ref / ref.norm(dim=1, keepdim=True), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('loss', ['pirl', 'npid'])
def test_lambda0_is_npid(loss):
    set_seed(0)
    trunk = SmallConvNet((8, 8, 8, 16))
    npid = NPID(copy.deepcopy(trunk), 64, n_neg=16, nce_loss=loss, size_crops=[32], stats=DIGITS_STATS)
    pirl = PIRL(copy.deepcopy(trunk), 64, 'jigsaw', pirl_lambda=0., n_neg=16, nce_loss=loss, size_crops=[32], stats=DIGITS_STATS)
    pirl.f.load_state_dict(npid.head.state_dict()); pirl.bank.load_state_dict(npid.bank.state_dict())
    x, xt, idx = torch.randn(4, 3, 32, 32), torch.randn(4, 9, 3, 8, 8), torch.tensor([1, 9, 30, 63])
    for step in range(2):
        set_seed(step); l1, _ = npid(x, idx)
        set_seed(step); l2, _ = pirl([x, xt], idx)
        assert l1.item() == l2.item()
        npid.after_step(step); pirl.after_step(step)
    assert torch.equal(npid.bank.mem, pirl.bank.mem)
    set_seed(0); l3, _ = PIRL(copy.deepcopy(trunk), 64, pirl_lambda=0.5, n_neg=16, nce_loss=loss)([x, xt], idx)
    assert l3.item() != l1.item()


def test_transform_shapes():
    from swav_lit.data import Digits
    im = Digits('train')[0][0]
    for pretext, shape in [('jigsaw', (9, 3, 8, 8)), ('rotation', (3, 32, 32)), ('rotation+jigsaw', (9, 3, 8, 8))]:
        xi, xt = pirl_transform(pretext, 32, DIGITS_STATS)(im)
        assert xi.shape == (3, 32, 32) and xt.shape == shape
    with pytest.raises(ValueError, match='rotation'): pirl_transform('colour')



@torch.no_grad()
def f_by_hand(pirl, x):
    "f(v_I) from the trunk and f's linear layer, then L2 norm: (B,3,H,W) -> (B,dim), without LinearHead.forward."
    return torch.nn.functional.normalize(pirl.trunk(x) @ pirl.f.fc.weight.T + pirl.f.fc.bias, dim=1)


@pytest.mark.parametrize('pretext', ['jigsaw', 'rotation'])
def test_memory_takes_f_of_the_untransformed_image(pretext):
    "After a step, bank rows = normalize(0.5·m + 0.5·f(v_I)), f computed by hand from the untransformed view."
    set_seed(0)
    pirl = PIRL(SmallConvNet(), 50, pretext, n_neg=8, size_crops=[32], stats=DIGITS_STATS).eval()
    x, index = torch.randn(4, 3, 32, 32), torch.tensor([1, 20, 33, 49])
    xt = torch.randn(4, 9, 3, 8, 8) if pretext == 'jigsaw' else torch.randn(4, 3, 32, 32)
    m0 = pirl.bank.mem[index].clone()
    pirl([x, xt], index); pirl.after_step(0)
    vf = f_by_hand(pirl, x)
    want = torch.nn.functional.normalize(0.5 * m0 + 0.5 * vf, dim=1)
    torch.testing.assert_close(pirl.bank.mem[index], want, atol=1e-5, rtol=0)


def test_fill_bank_writes_f_of_the_untransformed_image():
    "fill_bank overwrites each row with f(v_I) (momentum 0), not with g of the pretext view."
    set_seed(0)
    pirl = PIRL(SmallConvNet(), 50, 'jigsaw', n_neg=8, size_crops=[32], stats=DIGITS_STATS).eval()
    x, xt, index = torch.randn(4, 3, 32, 32), torch.randn(4, 9, 3, 8, 8), torch.tensor([1, 20, 33, 49])
    pirl.write_bank([([x, xt], None, index)])
    vf = f_by_hand(pirl, x)
    torch.testing.assert_close(pirl.bank.mem[index], vf, atol=1e-5, rtol=0)
