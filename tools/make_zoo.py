"""Turn a training run folder into a zoo entry shipped inside the package (see nbs/33_inspect.ipynb, "The zoo").

    python tools/make_zoo.py RUN_DIR NAME --command "swav_lit_train --config cifar10_swav ..."

RUN_DIR holds checkpoint.pt and metrics.csv (what swav_lit_train writes). This writes swav_lit/zoo/NAME.pt (the
method's inference state: tensors only), NAME.csv (the run's metrics) and NAME.json (config, command, sha256, and kNN
k=20/k=200 and the quick linear probe recomputed now from the saved weights on the full train/test splits, beside the
same trunk at random init and raw pixels). Commit the three files; `swav_lit.zoo.load_pretrained(NAME)` loads them."""
import argparse, json, sys, time
from pathlib import Path

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('run_dir', help='run folder holding checkpoint.pt and metrics.csv')
    p.add_argument('name', help='entry name, e.g. cifar10_swav_mc')
    p.add_argument('--command', required=True, help='the exact command that trained the run')
    p.add_argument('--zoo', default=None, help='zoo folder (default: swav_lit/zoo of this checkout)')
    p.add_argument('--no-baselines', action='store_true', help='skip the random-init and raw-pixel rows')
    p.add_argument('--baselines-from', default=None, metavar='ENTRY',
                   help='copy the random-init and raw-pixel rows of ENTRY (same data, trunk and seed) instead of recomputing them')
    p.add_argument('--force', action='store_true', help='overwrite an existing entry')
    a = p.parse_args(argv)
    from swav_lit.zoo import make_entry, zoo_dir, list_pretrained
    zoo = Path(a.zoo) if a.zoo else zoo_dir()
    if a.name in list_pretrained(zoo) and not a.force: sys.exit(f'make_zoo: entry {a.name!r} exists in {zoo}: pass --force to overwrite')
    t = time.time()
    info = make_entry(a.run_dir, a.name, a.command, zoo=zoo, baselines=not a.no_baselines, baselines_from=a.baselines_from)
    print(json.dumps({k: info[k] for k in ('name', 'file', 'sha256', 'bytes', 'metrics', 'check')}, indent=1))
    print(f'wrote {zoo / a.name}.{{pt,json,csv}} in {time.time() - t:.0f} s')

if __name__ == '__main__': main()
