#!/bin/bash
# Does the zoo load offline from a wheel, and do its weights still score what the cards say?
#
#     bash tools/zoo_wheel_check.sh [ENTRY ...]        # default: every entry in swav_lit/zoo
#
# Builds the wheel of this checkout, installs it with --no-deps --no-index into a fresh venv whose dependencies come
# from the dev venv's site-packages through a .pth line (so the package is the wheel's copy, not the editable one),
# and, with the network cut (`unshare -n`, where the kernel lets us) and from /tmp, loads each entry by name (sha256
# checked by `load_pretrained`) and recomputes kNN at k=20 and k=200 on all the training/test images. It fails if the
# package was not imported from the wheel or if a recomputed kNN differs from the card by more than 1e-4.
# Needs the data the entries were trained on (CIFAR-10: found under ../shared/datasets, as everywhere else).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEV=${DEV_VENV:-$ROOT/.venv}
TMP=$(mktemp -d /tmp/zoo_wheel.XXXX)
trap 'rm -rf "$TMP"' EXIT
"$DEV/bin/pip" wheel --no-deps --no-build-isolation -q -w "$TMP/wheel" "$ROOT"
python3 -m venv "$TMP/venv"
"$TMP/venv/bin/pip" install -q --no-deps --no-index "$TMP"/wheel/swav_lit-*.whl
SITE=$("$DEV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
NEW=$("$TMP/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# the editable install's finder must not shadow the wheel: the .pth line adds the dev site-packages after the wheel's
echo "$SITE" > "$NEW/zz_deps.pth"
NOnet=""; unshare -n true 2>/dev/null && NOnet="unshare -n"
cd "$TMP" && SWAV_LIT_SHARED=${SWAV_LIT_SHARED:-$(dirname "$ROOT")/shared} $NOnet "$TMP/venv/bin/python" - "$@" <<'PY'
import sys, time
import swav_lit, swav_lit.zoo as z
from swav_lit.build import build_data, eval_view
from swav_lit.loop import features, knn_features
print('swav_lit imported from', swav_lit.__file__)
assert '/venv/' in swav_lit.__file__ and 'zoo_wheel' in swav_lit.__file__, 'not the wheel\'s copy'
bad = []
for name in sys.argv[1:] or z.list_pretrained():
    t = time.time(); m, cfg = z.load_pretrained(name); card = z.zoo_info(name)['metrics']['trained']
    tr, te = build_data(cfg, 'train'), build_data(cfg, 'test'); tfm = eval_view(cfg)
    ftr, ytr = features(m.trunk, tr, tfm); fte, yte = features(m.trunk, te, tfm)
    for k in (20, 200):
        acc = knn_features(ftr, ytr, fte, yte, k=k); d = acc - card[f'knn{k}']
        print(f"{name}: kNN k={k} recomputed {acc:.4f}, card {card[f'knn{k}']:.4f}, diff {d:+.4f}")
        if abs(d) > 1e-4: bad.append((name, k, d))
    print(f'{name}: {time.time() - t:.0f} s')
sys.exit(f'kNN differs from the card: {bad}' if bad else 0)
PY
