"""(c) How cost grows: Sinkhorn time against K and B (swav_lit's log-domain `sinkhorn`, lightly's for reference);
the memory bank's memory and update time against the number of images (up to ImageNet's 1.28M × 128 fp32,
655 MB); a multi-crop SwAV step's time and activation memory against the number of 16 px crops."""
from __future__ import annotations
import gc
from common import torch, timeit, write_csv, device_note, lightly_path, RESULTS
from swav_lit.core import set_seed
from swav_lit.sinkhorn import sinkhorn
from swav_lit.npid import MemoryBank
from swav_lit.models import SmallConvNet, MLPHead
from swav_lit.loop import train_step
from swav_lit.multicrop import MultiCropSwAV

def bench_sinkhorn():
    lightly_path()
    from lightly.loss.swav_loss import sinkhorn as lightly_sinkhorn
    rows = []
    shapes = [(256, k) for k in (100, 300, 1000, 3000, 10000)] + [(b, 3000) for b in (64, 1024, 4096)]
    for B, K in shapes:
        s = torch.nn.functional.normalize(torch.randn(B, 128), dim=1) @ torch.nn.functional.normalize(torch.randn(K, 128), dim=1).T
        a = timeit(lambda: sinkhorn(s, 0.05, 3), reps=5)
        b = timeit(lambda: lightly_sinkhorn(s, 3, 0.05), reps=5)
        rows.append(dict(B=B, K=K, swav_lit_ms=round(a * 1e3, 3), lightly_ms=round(b * 1e3, 3), device=device_note()))
    print(f'  sinkhorn: ' + ', '.join(f"B={r['B']} K={r['K']} {r['swav_lit_ms']:.1f} ms" for r in rows), flush=True)
    return write_csv(rows, 'scaling_sinkhorn.csv'), rows

def bench_memory_bank(B:int=256):
    rows = []
    for n in (10_000, 100_000, 1_281_167):
        bank = MemoryBank(n, 128)
        v = torch.nn.functional.normalize(torch.randn(B, 128), dim=1)
        idx = torch.randperm(n)[:B]
        t = timeit(lambda: bank.update(idx, v), reps=20, warmup=2)
        rows.append(dict(n_images=n, dim=128, bank_MB=round(bank.mem.untyped_storage().nbytes() / 1e6, 1),
                         update_ms=round(t * 1e3, 3), batch=B, device=device_note()))
        del bank; gc.collect()
    print(f'  memory bank: ' + ', '.join(f"{r['n_images']} images {r['bank_MB']} MB update {r['update_ms']:.2f} ms" for r in rows), flush=True)
    return write_csv(rows, 'scaling_memory_bank.csv'), rows

def activation_bytes(fn):
    "Run `fn`, summing the bytes of the distinct storages autograd saves for backward: (out, bytes)."
    seen = {}
    def pack(t): seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes(); return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t): out = fn()
    return out, sum(seen.values())

def bench_multicrop(B:int=64):
    rows = []
    for n in (0, 2, 4, 6, 8):
        set_seed(0)
        m = MultiCropSwAV(SmallConvNet(), MLPHead(256, 2048, 128), n_prototypes=3000, freeze_prototypes_iters=0)
        opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        views = [torch.randn(B, 3, 32, 32) for _ in range(2)] + [torch.randn(B, 3, 16, 16) for _ in range(n)]
        mem = [0]
        def forward(views, index):  # the library's train_step, measuring what the forward saves for backward
            out, mem[0] = activation_bytes(lambda: m(views, index)); return out
        step = lambda: train_step(m, opt, iter([(views, None, torch.arange(B))]), model=forward)
        t = timeit(step, reps=5)
        rows.append(dict(small_crops=n, batch=B, step_ms=round(t * 1e3, 1), activation_MB=round(mem[0] / 1e6, 1), device=device_note()))
    print(f'  multi-crop: ' + ', '.join(f"2+{r['small_crops']} crops {r['step_ms']:.0f} ms {r['activation_MB']} MB" for r in rows), flush=True)
    return write_csv(rows, 'scaling_multicrop.csv'), rows

def plot(sk, mb, mc):
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 4, figsize=(17, 3.4))
    k = [r for r in sk if r['B'] == 256]; b = [r for r in sk if r['K'] == 3000]; b.sort(key=lambda r: r['B'])
    for a, rs, x, lab in [(ax[0], k, 'K', 'prototypes K (B = 256)'), (ax[1], b, 'B', 'batch B (K = 3000)')]:
        a.loglog([r[x] for r in rs], [r['swav_lit_ms'] for r in rs], 'o-', label='swav_lit')
        a.loglog([r[x] for r in rs], [r['lightly_ms'] for r in rs], 's--', label='lightly')
        a.set_xlabel(lab); a.set_ylabel('Sinkhorn, 3 iterations (ms)'); a.legend()
    ax[2].loglog([r['n_images'] for r in mb], [r['bank_MB'] for r in mb], 'o-', label='memory (MB)')
    ax[2].loglog([r['n_images'] for r in mb], [r['update_ms'] for r in mb], 's--', label='update of 256 rows (ms)')
    ax[2].set_xlabel('images in the bank (dim 128, fp32)'); ax[2].legend()
    a2 = ax[3].twinx()
    ax[3].plot([r['small_crops'] for r in mc], [r['step_ms'] for r in mc], 'o-', c='C0'); ax[3].set_ylabel('step (ms)', color='C0')
    a2.plot([r['small_crops'] for r in mc], [r['activation_MB'] for r in mc], 's--', c='C1'); a2.set_ylabel('activations (MB)', color='C1')
    ax[3].set_xlabel('16 px crops beside 2×32 px (B = 64)')
    fig.suptitle(f'How cost grows ({device_note()})', fontsize=9); fig.tight_layout()
    fig.savefig(RESULTS / 'scaling.png', dpi=80)

def main():
    _, sk = bench_sinkhorn(); _, mb = bench_memory_bank(); _, mc = bench_multicrop()
    plot(sk, mb, mc)
    return []  # no targets: the figures are for reading

if __name__ == '__main__': main()
