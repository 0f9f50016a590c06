"""Idle throughput of a CPU preset: 60 training steps at high priority, then a row in cpu/idle_throughput.csv.

    python nbs/experiments/cpu_probe.py PRESET EPOCHS BATCH_SIZE [PASSES]     # from the repository root

Chapter 40's budget is 20 minutes on 2 *idle* cores, but its runs were made beside other work. Pause any other
training first (`kill -STOP PID`, then `kill -CONT PID`), so the probe is alone. Steady images/s comes from the
trainer's running `img_s` at steps 10 and 60 (the first steps carry start-up); start-up is the probe's wall time
before its steps (NPID/PIRL: filling the memory bank; DeepCluster/SeLa: a pass over the dataset and its clustering).
Projected minutes = EPOCHS x 50,000 / images/s + PASSES x start-up, where PASSES (default 1) is how many times the run
makes its start-up work: DeepCluster's pass comes before every epoch, SeLa's before each label optimisation (each
pass also counts the ~6 s start of the process, so the projection is high by that much per pass)."""
import csv, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

CSV = Path(__file__).resolve().parent / 'cpu' / 'idle_throughput.csv'

def probe(preset:str, epochs:int, bs:int, passes:int=1, steps:int=60) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f'probe_{preset}_'))
    cmd = f'nice -n -10 swav_lit_train --config {preset} --max_steps {steps} --knn_every 0 --report false --progress false'
    t = time.time(); subprocess.run(cmd.split() + ['--out_dir', str(out)], check=True, stdout=subprocess.DEVNULL)
    wall, load = time.time() - t, os.getloadavg()[0]
    rows = list(csv.DictReader(open(out / 'metrics.csv'))); shutil.rmtree(out)
    t10, tn = 10 * bs / float(rows[9]['img_s']), steps * bs / float(rows[steps - 1]['img_s'])  # seconds into the epoch
    img_s, startup = (steps - 10) * bs / (tn - t10), max(wall - tn, 0)
    return dict(preset=preset, epochs=epochs, batch_size=bs, img_s_idle=round(img_s, 1), probe_wall_s=round(wall),
                startup_s=round(startup), passes=passes, projected_train_min=round((epochs * 50_000 / img_s + passes * startup) / 60, 1),
                load=round(load, 2), command=cmd)

if __name__ == '__main__':
    if len(sys.argv) not in (4, 5): sys.exit(__doc__)
    row = probe(sys.argv[1], *map(int, sys.argv[2:])); print(row)
    old = [r for r in csv.DictReader(open(CSV)) if r['preset'] != row['preset']]
    with open(CSV, 'w', newline='') as f:
        w = csv.DictWriter(f, list(row), restval=1); w.writeheader(); w.writerows(old + [row])  # older rows: one pass
