import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

# The naive Sinkhorn of chapter 20 (plain exponentials): the wrong-but-tame answer that the assignment tests must score 0
NAIVE = '''def sinkhorn(scores, eps=0.05, n_iters=3, dtype=torch.float32):
    Q = (scores.to(dtype).T / eps).exp(); Q /= Q.sum(); K, B = Q.shape
    for _ in range(n_iters):
        Q /= Q.sum(1, keepdim=True); Q /= K
        Q /= Q.sum(0, keepdim=True); Q /= B
    return (Q * B).T'''

@pytest.fixture
def digit_pngs(tmp_path):
    "Write `n` real digit images as PNG files into a folder; returns a function(folder, n)."
    from swav_lit.data import Digits
    ds = Digits('train')
    def write(folder, n=3):
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n): ds[i][0].save(folder / f'{i}.png')
        return folder
    return write

def run_torchrun(script, *args, nproc=2, timeout=300):
    "Launch tests/`script` under `torchrun --standalone --nproc_per_node nproc` (gloo, CPU); fail the test with its output unless rc 0."
    import subprocess
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')]))
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', str(nproc),
           str(ROOT / 'tests' / script), *map(str, args)]
    try: p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e: pytest.fail(f'torchrun {script} timed out after {timeout} s\n{e.stdout}\n{e.stderr}')
    assert p.returncode == 0, f'torchrun {script} failed (rc={p.returncode})\nstdout:\n{p.stdout[-3000:]}\nstderr:\n{p.stderr[-5000:]}'
    return p

@pytest.fixture
def torchrun():
    "The `run_torchrun` launcher, as a fixture."
    return run_torchrun

def write_shapes(root, n_train=60, n_test=20, size=28, seed=0, held_out='test'):
    """An own-data image folder: root/train/<class>/*.png and root/<held_out>/<class>/*.png, 3 classes (circle, square,
    triangle) of random colour, size and place on a random background, `size` px: what README's worked example writes."""
    import random
    from PIL import Image, ImageDraw
    rng, root = random.Random(seed), Path(root)
    for split, n in (('train', n_train), (held_out, n_test)):
        for c in ('circle', 'square', 'triangle'):
            (root / split / c).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                im = Image.new('RGB', (size, size), tuple(rng.randrange(0, 120) for _ in range(3)))
                r, x, y = rng.randrange(5, 11), rng.randrange(11, size - 11), rng.randrange(11, size - 11)
                box, fill = [x - r, y - r, x + r, y + r], tuple(rng.randrange(120, 256) for _ in range(3))
                d = ImageDraw.Draw(im)
                if c == 'circle': d.ellipse(box, fill=fill)
                elif c == 'square': d.rectangle(box, fill=fill)
                else: d.polygon([(x, y - r), (x - r, y + r), (x + r, y + r)], fill=fill)
                im.save(root / split / c / f'{i}.png')
    return root

@pytest.fixture(scope='session')
def digit_folder(tmp_path_factory):
    """An own image folder of real images, Fashion-MNIST-like (small, grey, 10 classes): scikit-learn's digits as
    32 px PNG files, root/train/<digit>/*.png (1,437) and root/test/<digit>/*.png (360), the package's own split."""
    from swav_lit.data import Digits
    root = tmp_path_factory.mktemp('own') / 'digits'
    for split in ('train', 'test'):
        ds = Digits(split)
        for i in range(len(ds)):
            im, y = ds[i]; d = root / split / str(y); d.mkdir(parents=True, exist_ok=True); im.save(d / f'{i}.png')
    return root

@pytest.fixture(scope='session')
def shapes(tmp_path_factory):
    "A folder of 180 training and 60 test images of coloured shapes at 28 px (see `write_shapes`)."
    return write_shapes(tmp_path_factory.mktemp('own') / 'shapes')

@pytest.fixture(scope='session')
def course(tmp_path_factory):
    "The course generated once per session from the real chapters (nbs/): its folder (student/, instructor/) and the instructor's manifest."
    from swav_lit.assign import assign
    d = tmp_path_factory.mktemp('course')
    return d, assign(ROOT / 'nbs', d)
