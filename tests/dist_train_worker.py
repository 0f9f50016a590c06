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

if __name__ == '__main__':
    patch()
    from swav_lit.train import main
    main(sys.argv[1:])
