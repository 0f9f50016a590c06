"""Train chapter 40's CPU runs one at a time from a queue file, then score each with cpu_eval.py.

    nohup python nbs/experiments/cpu_queue.py QUEUE RUNS_DIR &      # from the repository root

QUEUE holds lines `NAME|ARGS|NOTE[|CHECKOUT]` (`#` starts a comment): `swav_lit_train ARGS --name NAME --out_dir
RUNS_DIR/NAME --report false` runs in CHECKOUT (default: this one, e.g. a branch's clone with its new preset). Each
run is timed by `/usr/bin/time -v` (wall and CPU seconds, in RUNS_DIR/NAME.log), its `meta.json` (method, command,
train_wall_s, train_cpu_s, img_s, note) is written beside its checkpoint, and `cpu_eval.py` adds its row to
cpu/results.csv. RUNS_DIR/NAME.started and .done mark progress, so a restarted queue skips what ran; lines added
while it runs are picked up; an empty queue is polled every minute until RUNS_DIR/STOP exists. Add --once to stop
when the queue is empty. Wall times measured beside other work overstate the budget: chapter 40's idle minutes come
from cpu_probe.py."""
import csv, json, os, re, subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent

def wall_cpu(log:str) -> tuple[float, float]:
    "Wall and CPU (user + system) seconds from a `/usr/bin/time -v` report."
    h = re.search(r'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)', log).group(1)
    w = 0.
    for x in h.split(':'): w = w * 60 + float(x)
    cpu = sum(float(re.search(rf'{k} time \(seconds\): ([\d.]+)', log).group(1)) for k in ('User', 'System'))
    return w, cpu

def write_meta(run:Path, log:str, command:str, note:str) -> dict:
    "meta.json of a finished run: what chapter 40's table reads beside the scores."
    w, cpu = wall_cpu(log)
    cfg = json.loads((run / 'config.json').read_text())
    steps = int(list(csv.DictReader(open(run / 'metrics.csv')))[-1]['step'])
    meta = dict(method=cfg['method'], command=command, train_wall_s=round(w), train_cpu_s=round(cpu),
                img_s=round(steps * cfg['batch_size'] / w), note=note)
    (run / 'meta.json').write_text(json.dumps(meta, indent=1)); return meta

def next_line(queue:Path, runs:Path):
    for line in queue.read_text().splitlines():
        if line.startswith('#') or '|' not in line: continue
        name, args, note, *d = line.split('|')
        if not (runs / f'{name}.started').exists(): return name, args, note, (d[0] if d and d[0] else os.getcwd())
    return None

def main(queue, runs, once=False):
    queue, runs = Path(queue), Path(runs); runs.mkdir(parents=True, exist_ok=True)
    while not (runs / 'STOP').exists():
        job = next_line(queue, runs)
        if job is None:
            if once: break
            time.sleep(60); continue
        name, args, note, d = job
        (runs / f'{name}.started').touch(); print(f'== {name} start {time.ctime()} in {d}', flush=True)
        cmd = ['/usr/bin/time', '-v', 'swav_lit_train', *args.split(), '--name', name, '--out_dir', str(runs / name), '--report', 'false']
        with open(runs / f'{name}.log', 'w') as log:
            rc = subprocess.run(cmd, cwd=d, env=dict(os.environ, PYTHONPATH=d), stdout=log, stderr=subprocess.STDOUT).returncode
        if rc == 0:
            print(write_meta(runs / name, (runs / f'{name}.log').read_text(errors='ignore'), f'swav_lit_train {args}', note), flush=True)
            subprocess.run([sys.executable, str(HERE / 'cpu_eval.py'), str(runs / name)], cwd=d, env=dict(os.environ, PYTHONPATH=d))
        (runs / f'{name}.done').touch(); print(f'== {name} end {time.ctime()} rc={rc}', flush=True)

if __name__ == '__main__':
    a = [x for x in sys.argv[1:] if x != '--once']
    if len(a) != 2: sys.exit(__doc__)
    main(*a, once='--once' in sys.argv)
