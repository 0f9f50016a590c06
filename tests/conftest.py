import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture
def digit_pngs(tmp_path):
    "Write `n` real digit images as PNG files into a folder; returns a function(folder, n)."
    from swav_lit.data import Digits
    ds = Digits('train')
    def write(folder, n=3):
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n): ds[i][0].save(folder / f'{i}.png')
        return folder
    return write
