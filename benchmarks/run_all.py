"""Every benchmark in one run, on this machine: `make bench` (or `python benchmarks/run_all.py`).
Prints each target with its measured ratio and PASS/FAIL; writes results/*.csv, results/targets.csv and plots."""
from __future__ import annotations
import sys, time, resource, traceback
from common import write_csv, device_note
import bench_data, bench_step, bench_scaling, bench_levers

def main() -> int:
    t0 = time.time()
    print(f'benchmarks on {device_note()}', flush=True)
    targets = []
    for mod in (bench_data, bench_step, bench_scaling, bench_levers):
        print(f'{mod.__name__}:', flush=True)
        try: targets += mod.main()
        except Exception as e:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            targets.append(dict(target=f'{mod.__name__} ran', ratio=float('nan'), need=float('nan'), status=f'FAIL: {e!r}'))
    targets.append(dict(target='GPU: CIFAR-10 ResNet-18 SwAV 200 epochs (lightly: kNN 0.842, 88.7 min)', ratio=float('nan'),
                        need=float('nan'), status='NOT RUN: no GPU on this machine'))
    rows = []
    print(f'\n{"target":62s} {"measured":>9s} {"need":>6s}  result')
    for t in targets:
        if 'status' not in t:
            ok = t['ratio'] <= t['need'] if t.get('below') else t['ratio'] >= t['need']
            t['status'] = 'PASS' if ok else 'FAIL'
        need = '' if t['need'] != t['need'] else (f"<={t['need']:.1f}" if t.get('below') else f">={t['need']:.1f}x")
        print(f"{t['target']:62s} {t['ratio']:9.2f} {need:>6s}  {t['status']}")
        rows.append(dict(target=t['target'], measured=round(t['ratio'], 3), need=need, result=t['status'], device=device_note()))
    write_csv(rows, 'targets.csv')
    cpu = sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ('ru_utime', 'ru_stime'))
    # on a shared machine wall time says little: CPU time / 2 is what 2 free cores would take
    print(f'\n{time.time() - t0:.0f} s wall, {cpu:.0f} s CPU (about {cpu / 2 / 60:.1f} min on 2 free cores); '
          f'CSVs and scaling.png in benchmarks/results/')
    return int(any(r['result'].startswith('FAIL') for r in rows))

if __name__ == '__main__': sys.exit(main())
