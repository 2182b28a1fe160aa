"""Offline two-level prior (VQ-VAE-2's bottom prior, Razavi et al. 2019, §3.2, at toy
size): the `codes_photo_patches.py` prior over 4×4 grids of K = 512 codes, conditioned on
each grid's coarser 2×2 code map (K' = 64 k-means codes of its 8×8 patches), embedded
and fed through f_w to every layer. About two minutes on 2 CPU cores; test bits per code,
a SavedModel and a sample grid drawn given the test batch's code maps (decoded: each code
shown as its 4×4 centre)."""

from configs import codes_photo_patches


def get_config():
    config = codes_photo_patches.get_config()
    config.data.condition_num_codes = 64  # K' of the 2×2 map of 8×8 patches
    config.model.condition_embedding_dim = 16
    config.model.condition_hidden_filters = 32
    config.model.spatial_condition_filters = 32
    return config
