"""Readers shared by the dataset-file tests: plain numpy and h5py, exactly as a user of the exported files reads them."""
import json

import h5py
import numpy as np


def load_npz(path):
    """The arrays of an NPZ export and its JSON header (the 0-d "metadata" array)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return arrays, json.loads(str(arrays.pop("metadata")))


def load_h5(path):
    """The datasets of a D4RL-style HDF5 export and its JSON header; the plain env_id attribute must agree with it."""
    with h5py.File(path, "r") as f:
        arrays = {k: f[k][()] for k in f.keys()}
        meta = json.loads(f.attrs["metadata"])
        assert f.attrs["env_id"] == meta["env_id"]
    return arrays, meta
