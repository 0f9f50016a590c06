"""Worker for tests/test_train_dist.py: `swav_lit.train.main(argv)` with NPID/PIRL negatives made a fixed
function of the sample index. The methods draw negatives from a per-rank random stream (by design), so
without this one process and two processes would draw different negatives and their losses could not match."""
import sys, torch

def fixed_negatives(index, n_data, n_neg, generator=None):
    "(B,) -> (B, n_neg) indices, never the sample's own: index + 1 + ((31 index + 17 j) mod (n_data - 1)), mod n_data."
    j = torch.arange(1, n_neg + 1, device=index.device)
    return (index[:, None] + 1 + (index[:, None] * 31 + j * 17) % (n_data - 1)) % n_data

def patch(setattr_=setattr):
    import swav_lit.nce  # NPID and PIRL both draw through BankMethod.negatives, which looks it up here
    setattr_(swav_lit.nce, 'sample_negatives', fixed_negatives)

def run_batch(path):
    """Train every run of the JSON file `path` ({name: argv}) one after the other in this one process group: one
    torchrun launch (Python, torch and gloo started once) for all the methods of tests/test_train_dist.py. A run that
    fails writes its error to its out_dir's `error.txt` and the next run still goes (the test of that method fails)."""
    import json, os, traceback
    from pathlib import Path
    from swav_lit.train import main
    for name, argv in json.loads(Path(path).read_text()).items():
        if os.environ.get('RANK', '0') == '0': print(f'=== run {name}', flush=True)
        try: main(argv)
        except BaseException as e:  # SystemExit from main's one-line errors included
            out = Path(argv[argv.index('--out_dir') + 1]); out.mkdir(parents=True, exist_ok=True)
            (out / 'error.txt').write_text(f'{e!r}\n{traceback.format_exc()}')

if __name__ == '__main__':
    patch()
    if sys.argv[1] == '--batch': run_batch(sys.argv[2])
    else:
        from swav_lit.train import main
        main(sys.argv[1:])
