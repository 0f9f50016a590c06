"Shared set-up of the benchmarks: threads, lightly from benchmarks/.deps, timing, CSV, the CIFAR-10 images."
from __future__ import annotations
import os, sys, time, statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / 'results'
DEPS = HERE / '.deps'  # lightly lives here only: `make bench-deps`; it is not a dependency of swav_lit
THREADS = int(os.environ.get('BENCH_THREADS', '2'))
os.environ.setdefault('OMP_NUM_THREADS', str(THREADS))
import torch
from swav_lit import runs
torch.set_num_threads(THREADS)

def lightly_path():
    "Put benchmarks/.deps on sys.path so `import lightly` finds the benchmark-only install."
    if not (DEPS / 'lightly').is_dir():
        raise SystemExit(f'lightly is not installed in {DEPS}: run `make bench-deps` first')
    if str(DEPS) not in sys.path: sys.path.insert(0, str(DEPS))

def device_note() -> str:
    "Where the figures were measured: CPU threads, and the GPU if any."
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU (CPU only)'
    return f'{THREADS} CPU threads, torch {torch.__version__}, {gpu}'

def timeit(fn, reps:int=5, warmup:int=1) -> float:
    "Fewest seconds of `reps` calls of `fn` after `warmup` calls: other load only ever adds time, so the minimum is the cost."
    for _ in range(warmup): fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts)

def interleaved(runs:dict, rounds:int=6, steps:int=1) -> dict:
    """Median seconds per call of each of `runs` ({name: fn}), after one warm-up call each; in each of `rounds` every fn
    runs `steps` times in turn, so that a slow moment of a shared machine hits every contender alike."""
    ts = {k: [] for k in runs}
    for f in runs.values(): f()
    for _ in range(rounds):
        for k, f in runs.items():
            t = time.perf_counter()
            for _ in range(steps): f()
            ts[k].append((time.perf_counter() - t) / steps)
    return {k: statistics.median(v) for k, v in ts.items()}

def write_csv(rows:list[dict], name:str) -> Path:
    "Write `rows` (dicts with the same keys) to results/`name`."
    RESULTS.mkdir(exist_ok=True)
    return runs.write_csv(rows, RESULTS / name) or RESULTS / name

def cifar_images(n:int):
    "The first `n` CIFAR-10 training images of the shared archive, decoded once: (list of PIL, uint8 tensor (n,3,32,32))."
    from swav_lit.data import cifar10
    import torchvision.transforms as T
    ds = cifar10('train')
    pil = [ds[i][0] for i in range(n)]
    return pil, torch.stack([T.PILToTensor()(im) for im in pil])
