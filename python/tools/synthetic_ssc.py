#!/usr/bin/env python3
"""Writes a synthetic dataset of SSC's shape for memory measurements (SSC itself is 4 GB to download).

    /usr/bin/python3 python/tools/synthetic_ssc.py OUT_DIR [--scale 1.0]

Writes OUT_DIR/ssc_train.h5, ssc_valid.h5 and ssc_test.h5 in the published layout (variable-length float32
spikes/times in seconds, variable-length uint16 spikes/units, labels), with SSC's split sizes (75,466 / 9,981 /
20,382 samples times --scale), 700 units, 35 classes, and per sample a Poisson number of events (mean 5,500) over
about one second, concentrated on a band of units as cochlear channels are: at dt = 2 ms and T = 500 about 1.5 %
of the (unit, bin) cells hold an event, the density of the spoken-digit recordings. The values carry no class
information; they are for measuring memory and speed, not accuracy.
"""
import argparse
import os

import h5py
import numpy as np

SPLITS = {"train": 75_466, "valid": 9_981, "test": 20_382}
UNITS = 700
CLASSES = 35
MEAN_EVENTS = 5_500


def write(path, samples, rng):
    with h5py.File(path + ".tmp", "w") as f:
        spikes = f.create_group("spikes")
        times = spikes.create_dataset("times", (samples,), dtype=h5py.vlen_dtype(np.float32))
        units = spikes.create_dataset("units", (samples,), dtype=h5py.vlen_dtype(np.uint16))
        f.create_dataset("labels", data=rng.integers(0, CLASSES, samples).astype(np.uint8))
        chunk = 2_000
        for start in range(0, samples, chunk):
            m = min(chunk, samples - start)
            t_block = np.empty(m, dtype=object)
            u_block = np.empty(m, dtype=object)
            for i in range(m):
                n = max(1, rng.poisson(MEAN_EVENTS))
                duration = rng.uniform(0.6, 1.0)
                centre = rng.uniform(150, 550)
                u = np.clip(rng.normal(centre, 140, n), 0, UNITS - 1).astype(np.uint16)
                t = np.sort(rng.uniform(0, duration, n)).astype(np.float32)
                t_block[i] = t
                u_block[i] = u
            times[start:start + m] = t_block
            units[start:start + m] = u_block
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(25)
    for split, size in SPLITS.items():
        write(os.path.join(args.out, "ssc_%s.h5" % split), max(1, int(size * args.scale)), rng)
        print("wrote", split)


if __name__ == "__main__":
    main()
