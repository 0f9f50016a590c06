"""(d) The trainer's speed levers on the trunk alone: the small convnet's forward and backward on one grouped batch of
2×B crops of 32 px (what `multicrop_forward` sends through it), in the default NCHW layout, with channels-last
weights (`Config.channels_last`, on by default) and channels-last plus `torch.compile` (`Config.compile`, off by
default); the compile time is the first call's. Interleaved repeats, median. No target: these figures explain the
training-step ratios of bench_step.py. bf16 autocast and the GPU numbers need a GPU."""
from __future__ import annotations
import copy, time
from common import torch, write_csv, device_note, interleaved
import torch._inductor.config
from swav_lit.models import SmallConvNet

def main(batches=(32, 64), rounds:int=6) -> list:
    rows = []
    for B in batches:
        torch.manual_seed(0)
        x = torch.randn(2 * B, 3, 32, 32)
        nchw = SmallConvNet()
        cl = copy.deepcopy(nchw).to(memory_format=torch.channels_last)
        comp = copy.deepcopy(cl)
        torch._inductor.config.force_disable_caches = True  # time a real compilation, not a hit of an earlier run's cache
        comp.compile()
        step = lambda m: m(x).sum().backward()
        t = time.perf_counter(); step(comp); compile_s = time.perf_counter() - t  # compiles forward and backward
        med = interleaved({k: (lambda m=m: step(m)) for k, m in
                           {'NCHW': nchw, 'channels_last': cl, 'channels_last+compile': comp}.items()}, rounds)
        base = med['NCHW']
        for k, ms in med.items():
            rows.append(dict(crops=2 * B, layout=k, fwd_bwd_ms=round(ms * 1e3, 1), vs_NCHW=round(base / ms, 3),
                             compile_s=round(compile_s, 1) if 'compile' in k else '', device=device_note()))
        print(f'  trunk fwd+bwd, {2 * B} crops of 32 px: ' + '  '.join(f"{r['layout']} {r['fwd_bwd_ms']} ms (x{r['vs_NCHW']})"
              for r in rows[-3:]) + f'; compiling took {compile_s:.0f} s', flush=True)
    write_csv(rows, 'levers.csv')
    return []

if __name__ == '__main__': main()
