"""Data sources: counts, the index round-trip, and every bad input giving a clear error and no partial files."""
import tarfile, shutil
from pathlib import Path
import numpy as np, pytest, torch
import torchvision.transforms.functional as TF
from swav_lit.data import (Digits, SSLDataset, DatasetError, image_folder, extract_once, cifar10, cifar10_archive,
                           find_shared, tv_cifar10, tv_stl10, load_image, CIFAR10_CLASSES)

def listing(d: Path): return sorted(str(p.relative_to(d)) for p in d.rglob('*'))

def test_digits_counts_and_split():
    assert len(Digits('all')) == 1797 and len(set(Digits('all').targets)) == 10
    tr, te = Digits('train'), Digits('test')
    assert (len(tr), len(te)) == (1437, 360)
    # train and test are disjoint and cover the whole set: compare the raw 8x8 arrays
    all_rows = {a.tobytes() for a in Digits('all').images}
    assert {a.tobytes() for a in tr.images} | {a.tobytes() for a in te.images} <= all_rows
    assert np.bincount(te.targets).min() >= 35  # stratified: every class held out
    with pytest.raises(ValueError, match="split='val'"): Digits('val')

def test_index_round_trips():
    base = Digits('test')
    ds = SSLDataset(base, TF.pil_to_tensor)
    for i in (0, 17, 359):
        v, y, j = ds[i]
        assert j == i and y == base.targets[i] and torch.equal(v, TF.pil_to_tensor(base[j][0]))
        # the raw 8x8 digit is recoverable from the 32x32 image's index
        assert np.array_equal(base.images[j], Digits('test').images[i])

def test_missing_path(tmp_path):
    with pytest.raises(DatasetError, match=r'nope does not exist.*one subfolder per class'):
        image_folder(tmp_path / 'nope')

def test_file_instead_of_folder(tmp_path):
    (tmp_path / 'f.txt').write_text('x')
    with pytest.raises(DatasetError, match='is a file, not a folder'): image_folder(tmp_path / 'f.txt')

def test_empty_folder(tmp_path):
    with pytest.raises(DatasetError, match=f'{tmp_path.name} is empty'): image_folder(tmp_path)
    assert listing(tmp_path) == []

def test_no_class_subfolders(tmp_path, digit_pngs):
    digit_pngs(tmp_path, 2)
    with pytest.raises(DatasetError, match=r'no class subfolders: move the images into root/<class>/'):
        image_folder(tmp_path)

def test_class_folders_without_images(tmp_path):
    (tmp_path / 'a').mkdir(); (tmp_path / 'a' / 'notes.txt').write_text('x')
    with pytest.raises(DatasetError, match='no images with extensions'): image_folder(tmp_path)

def test_corrupt_image_names_file(tmp_path, digit_pngs):
    d = digit_pngs(tmp_path / 'zero', 2)
    good = (d / '0.png').read_bytes()
    (d / 'cut.png').write_bytes(good[:len(good) // 3])   # truncated PNG
    (d / 'text.jpg').write_bytes(b'this is not a jpeg')   # non-image file with an image extension
    ds = image_folder(tmp_path)
    assert len(ds) == 4
    names = [Path(p).name for p, _ in ds.samples]
    with pytest.raises(DatasetError, match=r'cut\.png.*delete or replace'): ds[names.index('cut.png')]
    with pytest.raises(DatasetError, match=r'text\.jpg'): ds[names.index('text.jpg')]
    with pytest.raises(DatasetError, match=r'(cut\.png|text\.jpg)'): image_folder(tmp_path, verify=True)
    assert ds[names.index('0.png')][0].size == (32, 32)

def test_non_image_files_are_ignored_unless_named_as_images(tmp_path, digit_pngs):
    d = digit_pngs(tmp_path / 'one', 2)
    (d / 'README').write_text('labels come from folder names')
    assert len(image_folder(tmp_path, verify=True)) == 2

def _make_tar(tmp_path, digit_pngs):
    src = digit_pngs(tmp_path / 'src' / 'train' / 'a', 20).parent.parent
    digit_pngs(src / 'test' / 'a', 5)
    arc = tmp_path / 'small.tar.gz'
    with tarfile.open(arc, 'w:gz') as tf:
        tf.add(src / 'train', arcname='train'); tf.add(src / 'test', arcname='test')
    return arc

def test_extract_once_atomic_and_cached(tmp_path, digit_pngs):
    arc = _make_tar(tmp_path, digit_pngs)
    cache = tmp_path / 'cache'
    out = extract_once(arc, cache / 'ds')
    assert listing(cache)[:3] == ['ds', 'ds/test', 'ds/test/a'] and len(image_folder(out / 'train')) == 20
    (out / 'marker').write_text('kept')
    extract_once(arc, cache / 'ds')             # second call: nothing re-extracted
    assert (out / 'marker').read_text() == 'kept'
    assert [p.name for p in cache.iterdir()] == ['ds']  # no temp folders left

def test_truncated_archive_leaves_nothing(tmp_path, digit_pngs):
    arc = _make_tar(tmp_path, digit_pngs)
    cut = tmp_path / 'cut.tar.gz'; blob = arc.read_bytes(); cut.write_bytes(blob[:len(blob) // 2])
    cache = tmp_path / 'cache'
    with pytest.raises(DatasetError, match=r'cut\.tar\.gz could not be extracted.*truncated'):
        extract_once(cut, cache / 'ds')
    assert listing(cache) == []

def test_checksum_mismatch_is_refused_before_extracting(tmp_path, digit_pngs):
    arc = _make_tar(tmp_path, digit_pngs)
    cache = tmp_path / 'cache'
    with pytest.raises(DatasetError, match='damaged or truncated'): extract_once(arc, cache / 'ds', sha256='0' * 64)
    assert not cache.exists() or listing(cache) == []

def test_missing_archive(tmp_path):
    with pytest.raises(DatasetError, match=r'missing\.tar\.gz not found'): extract_once(tmp_path / 'missing.tar.gz', tmp_path / 'x')
    with pytest.raises(DatasetError, match='not found'): cifar10_archive(tmp_path / 'cifar10-jpg.tar.gz', cache=tmp_path / 'c')
    assert not (tmp_path / 'c').exists()

def test_torchvision_offline_errors_say_where_to_put_files(tmp_path):
    with pytest.raises(DatasetError, match=r'CIFAR10 not found in .*download=True.*cifar-10-python\.tar\.gz'):
        tv_cifar10(root=tmp_path)
    with pytest.raises(DatasetError, match=r'STL10 not found in .*stl10_binary'):
        tv_stl10(root=tmp_path)

@pytest.mark.skipif(find_shared() is None, reason='shared/datasets/cifar10-jpg.tar.gz is not beside this checkout')
def test_cifar10_archive_counts():
    tr, te = cifar10('train'), cifar10('test')
    assert (len(tr), len(te)) == (50_000, 10_000)
    assert tr.classes == CIFAR10_CLASSES and len(tr.classes) == 10
    assert np.bincount(tr.targets).tolist() == [5000] * 10 and np.bincount(te.targets).tolist() == [1000] * 10
    im, y = tr[12345]
    assert im.size == (32, 32) and y == tr.targets[12345]

def test_concurrent_extraction_keeps_one_complete_copy(tmp_path, digit_pngs):
    "Parallel notebooks (nbdev_test) or several ranks may extract at once: all succeed, one folder, no temp left."
    import multiprocessing as mp
    arc = _make_tar(tmp_path, digit_pngs)
    cache = tmp_path / 'cache'
    ctx = mp.get_context('spawn')
    with ctx.Pool(3) as pool: outs = pool.starmap(extract_once, [(arc, cache / 'ds')] * 3)
    assert set(outs) == {cache / 'ds'} and [p.name for p in cache.iterdir()] == ['ds']
    assert len(image_folder(cache / 'ds' / 'train')) == 20
