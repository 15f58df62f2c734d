#!/usr/bin/env python3
"""Writes configs/paper/*.json: one config per experiment of the block and d-block papers.

Hyperparameters follow docs/specification.md sections 6 and 8 (the reference code). Run it again after
changing a recipe; the JSON files are what snn reads.
"""
import json
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paper")

DATA = {
    "fmnist": {"dataset": "fashion-mnist", "root": "data/fashion-mnist", "t_len": 100, "encoding": "latency",
               "augment": True},
    "mnist": {"dataset": "mnist", "root": "data/mnist", "t_len": 100, "encoding": "latency", "augment": True},
    "nmnist": {"dataset": "nmnist", "root": "data/nmnist", "t_len": 300, "dt_ms": 1.0},
    "shd": {"dataset": "shd", "root": "data/shd", "t_len": 500, "dt_ms": 2.0},
    "ssc": {"dataset": "ssc", "root": "data/ssc", "t_len": 500, "dt_ms": 2.0},
}


def write(name, data, model, training):
    cfg = {"name": name, "seed": 42, "data": data, "model": model, "training": training}
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")


def block_paper():
    # Block paper (section 6.1, 8): MLPs with per-neuron trainable beta, sum readout.
    recipes = {
        "fmnist": ([1000], {"epochs": 140, "lr": 1e-3, "milestones": [15, 90, 120]}),
        "mnist": ([800], {"epochs": 140, "lr": 1e-3, "milestones": [15, 90, 120]}),
        "nmnist": ([300], {"epochs": 200, "lr": 2e-4, "milestones": [30, 60, 90]}),
        "shd": ([300], {"epochs": 200, "lr": 2e-4, "milestones": [30, 60, 90]}),
    }
    for ds, (hidden, schedule) in recipes.items():
        training = {"batch_size": 128, "gamma": 0.1, "reload_best_at_milestone": True, **schedule}
        for variant, model in {
            "block": {"kind": "block"},
            "standard_single": {"kind": "standard", "single_spike": True},
            "standard_multi": {"kind": "standard", "single_spike": False},
        }.items():
            write(f"block_{ds}_{variant}", DATA[ds], {**model, "hidden": hidden, "readout": "sum"}, training)
        if ds in ("fmnist", "mnist"):
            write(f"block_{ds}_block_max", DATA[ds], {"kind": "block", "hidden": hidden, "readout": "max"}, training)
            write(f"block_{ds}_block_fixed_beta", DATA[ds],
                  {"kind": "block", "hidden": hidden, "readout": "sum", "learn_beta": False}, training)


def fastsnn_v1():
    # FastSNN README recipe (section 3.5): hidden 200, fixed beta = exp(-dt/tau) with tau 10 / 20 ms, max readout,
    # surrogate scale 100; beta time constants are given here in steps (tau_ms / dt_ms).
    for ds, dt, epochs, lr in (("fmnist", 1, 150, 2e-4), ("nmnist", 1, 150, 2e-4), ("shd", 2, 200, 1e-3)):
        data = dict(DATA[ds])
        if ds == "fmnist":
            data.update({"encoding": "ttfs", "augment": False})
        for variant, model in {"block": {"kind": "block"}, "standard_multi": {"kind": "standard"}}.items():
            write(f"fastsnn_{ds}_{variant}", data,
                  {**model, "hidden": [200], "readout": "max", "hidden_tau": 10 / dt, "readout_tau": 20 / dt,
                   "learn_beta": False, "surrogate": {"kind": "fast_sigmoid", "scale": 100}},
                  {"epochs": epochs, "batch_size": 128, "lr": lr})


def dblock_paper():
    # d-block paper (section 6.2, 8): 128 neurons, per-block readout, sum; 100 epochs, lr 1e-3.
    for ds in ("nmnist", "shd", "ssc"):
        milestones = [30, 60] if ds == "ssc" else [30, 60, 90]
        training = {"epochs": 100, "batch_size": 128, "lr": 1e-3, "milestones": milestones, "gamma": 0.1,
                    "reload_best_at_milestone": True}
        base = {"kind": "dblock", "readout": "sum", "detach_recurrent": True}
        for d in (1, 5, 10, 20, 30, 40):  # Fig. 4a (and the README's d = 5)
            for rec in (True, False):
                write(f"dblock_{ds}_d{d}_{'rec' if rec else 'ff'}", DATA[ds],
                      {**base, "d": d, "recurrent": rec, "hidden": [128]}, training)
        write(f"dblock_{ds}_d40_rec_attached", DATA[ds],  # Fig. 4b
              {**base, "d": 40, "recurrent": True, "hidden": [128], "detach_recurrent": False}, training)
        for layers in (2, 3):  # Fig. 4c
            write(f"dblock_{ds}_d40_rec_{layers}layers", DATA[ds],
                  {**base, "d": 40, "recurrent": True, "hidden": [128] * layers}, training)
        # The standard recurrent multi-spike SNN the d-block paper measures speed and spikes against.
        write(f"dblock_{ds}_standard_rec", DATA[ds],
              {"kind": "standard", "recurrent": True, "hidden": [128], "readout": "sum"}, training)


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    block_paper()
    fastsnn_v1()
    dblock_paper()
    print(len(os.listdir(HERE)), "configs in", HERE)
