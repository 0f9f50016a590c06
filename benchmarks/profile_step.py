"""Where a training step's time goes, swav_lit against lightly, for one shape: `python profile_step.py B N_SMALL`.
torch.profiler's top operators by self CPU time, 3 steps each after a warm-up; for explaining a FAIL of bench_step."""
from __future__ import annotations
import sys
from common import torch
from torch.profiler import profile, ProfilerActivity
import bench_step as bs

def top(fn, steps:int=3, rows:int=12) -> str:
    fn()
    with profile(activities=[ProfilerActivity.CPU]) as p:
        for _ in range(steps): fn()
    return p.key_averages().table(sort_by='self_cpu_time_total', row_limit=rows)

if __name__ == '__main__':
    B, n = (int(a) for a in (sys.argv[1:3] if len(sys.argv) > 2 else (32, 0)))
    m, lm, crit = bs.build(); views = bs.views_for(B, n)
    om, ol = bs.opt_for(m), bs.opt_for(lm)
    print(f'swav_lit, B={B}, 2x32+{n}x16:\n' + top(lambda: bs.swav_lit_step(m, om, views)))
    print(f'lightly, B={B}, 2x32+{n}x16:\n' + top(lambda: bs.lightly_step(lm, crit, ol, views)))
