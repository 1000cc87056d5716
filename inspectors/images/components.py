"""Connected components of a small mask (the flag's stars), numbered like ``scipy.ndimage.label``.

Importing ``scipy.ndimage`` costs about 0.4 CPU s, in every crawl process that meets one flat-field
picture. Analysis images are at most ``WORK_SIDE`` (128) pixels a side, where propagating the
smallest pixel index through the mask (with pointer jumping) converges in a few numpy steps for blob
shapes such as stars. Shapes that wind (spirals, mazes: never a flag) would need many steps; after
``MAX_STEPS`` the work goes to scipy, so the answer is always scipy's.
"""

from __future__ import annotations

import numpy as np

MAX_STEPS = 40


def label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected components of a boolean mask: labels 1..count in raster order of each first pixel."""
    h, w = mask.shape
    size = h * w
    none = size  # the label of background pixels: larger than any pixel index
    lab = np.where(mask, np.arange(size, dtype=np.int64).reshape(h, w), none)
    lookup = np.empty(size + 1, dtype=np.int64)
    lookup[size] = none
    for _ in range(MAX_STEPS):
        new = lab.copy()
        np.minimum(new[:, 1:], lab[:, :-1], out=new[:, 1:])
        np.minimum(new[:, :-1], lab[:, 1:], out=new[:, :-1])
        np.minimum(new[1:, :], lab[:-1, :], out=new[1:, :])
        np.minimum(new[:-1, :], lab[1:, :], out=new[:-1, :])
        new[~mask] = none
        # every label is a pixel of the same component: take that pixel's label, twice
        lookup[:size] = new.ravel()
        new = lookup[lookup[new]]
        if np.array_equal(new, lab):
            roots = np.unique(lab[mask])
            out = np.zeros((h, w), dtype=np.int32)
            out[mask] = np.searchsorted(roots, lab[mask]) + 1
            return out, len(roots)
        lab = new
    from scipy import ndimage

    labels, count = ndimage.label(mask)
    return labels, int(count)


def areas_and_centres(labels: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel count and (row, column) centre of each component 1..count."""
    flat = labels.ravel()
    areas = np.bincount(flat, minlength=count + 1)[1:].astype(float)
    rows, cols = np.indices(labels.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        cy = np.bincount(flat, weights=rows.ravel(), minlength=count + 1)[1:] / areas
        cx = np.bincount(flat, weights=cols.ravel(), minlength=count + 1)[1:] / areas
    return areas, np.stack([cy, cx], axis=1)
