"""(a) The multi-crop data pipeline, in images per second with all 8 crops of each image (2×32 px + 6×16 px,
SwAV's scales and colour/blur), on CIFAR-10 images decoded once, through a DataLoader with 2 workers:

- swav_lit: the trainer's path (`train_views` with `aug='batched'`): each PIL image to a uint8 tensor in the dataset,
  then `MultiCropBatch` on the whole batch in the collate, seeded per batch (`SeededBatchViews`): every crop of a
  batch at once (crops by `roi_align`, colour on the batch);
- swav_lit-PIL: swav_lit's per-image `multicrop_transform` (PIL, crop by crop), for reference;
- plain: a torchvision PIL pipeline written out here, the same transforms crop by crop;
- lightly: `lightly.transforms.SwaVTransform` configured to the same crops."""
from __future__ import annotations
import time, statistics
from common import torch, lightly_path, cifar_images, write_csv, device_note
import torchvision.transforms as T
from torch.utils.data import DataLoader
from swav_lit.data import SSLDataset, CIFAR10_STATS
from swav_lit.augment import RandomGaussianBlur
from swav_lit.multicrop import multicrop_transform
from swav_lit.augment import MultiCropBatch
from swav_lit.build import SeededBatchViews

CROPS = dict(size_crops=(32, 16), n_crops=(2, 6), min_scale_crops=(0.14, 0.05), max_scale_crops=(1., 0.14))  # SwAV's scales
N, BS, WORKERS, ROUNDS = 2048, 256, 2, 3

def plain_pipeline():
    "torchvision PIL transforms, one Compose per crop, written without swav_lit."
    def view(size, lo, hi):
        return T.Compose([T.RandomResizedCrop(size, scale=(lo, hi)), T.RandomHorizontalFlip(),
                          T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8), T.RandomGrayscale(0.2),
                          RandomGaussianBlur(0.5, (0.1, 2.0)), T.ToTensor(), T.Normalize(*CIFAR10_STATS)])
    tfms = [view(s, lo, hi) for s, n, lo, hi in zip(*CROPS.values()) for _ in range(n)]
    return lambda im: [t(im) for t in tfms]

def lightly_pipeline():
    lightly_path()
    from lightly.transforms import SwaVTransform
    return SwaVTransform(crop_sizes=CROPS['size_crops'], crop_counts=CROPS['nmb_crops'], crop_min_scales=CROPS['min_scale'],
                         crop_max_scales=CROPS['max_scale'], normalize=dict(mean=CIFAR10_STATS[0], std=CIFAR10_STATS[1]))

def images_per_s(ds, collate_fn=None) -> float:
    "One full pass over `ds` by a `WORKERS`-worker DataLoader, every batch's crops materialised: images per second."
    dl = DataLoader(ds, batch_size=BS, num_workers=WORKERS, collate_fn=collate_fn)
    t, n = time.perf_counter(), 0
    for views, y, i in dl:
        assert len(views) == 8 and views[0].shape[-1] == 32 and views[2].shape[-1] == 16
        n += len(i)
    return n / (time.perf_counter() - t)

def main():
    pil, _ = cifar_images(N)
    batched = SeededBatchViews(MultiCropBatch(**CROPS, stats=CIFAR10_STATS), seed=0)
    pipes = dict(swav_lit=(SSLDataset(list(zip(pil, [0] * N)), T.PILToTensor()), batched),
                 **{'swav_lit-PIL': (SSLDataset(list(zip(pil, [0] * N)), multicrop_transform(**CROPS, stats=CIFAR10_STATS)), None)},
                 **{'plain-PIL': (SSLDataset(list(zip(pil, [0] * N)), plain_pipeline()), None)},
                 lightly=(SSLDataset(list(zip(pil, [0] * N)), lightly_pipeline()), None))
    runs = {k: [] for k in pipes}
    for _ in range(ROUNDS):  # interleaved passes: a busy moment of the machine hits every pipeline alike
        for k, (ds, cf) in pipes.items(): runs[k].append(images_per_s(ds, cf))
    rows = []
    for name, r in runs.items():
        r = statistics.median(r)
        rows.append(dict(pipeline=name, images_per_s=round(r, 1), images=N, batch=BS, workers=WORKERS, device=device_note()))
        print(f'  data pipeline {name:13s} {r:8.0f} images/s (8 crops each, median of {ROUNDS} passes)', flush=True)
    write_csv(rows, 'data_pipeline.csv')
    ips = {r['pipeline']: r['images_per_s'] for r in rows}
    return [dict(target='data: swav_lit / plain per-crop PIL', ratio=ips['swav_lit'] / ips['plain-PIL'], need=2.0),
            dict(target='data: swav_lit / lightly SwaVTransform', ratio=ips['swav_lit'] / ips['lightly'], need=1.0)]

if __name__ == '__main__': print(main())
