"""Writes NIR graphs the way other libraries' exporters lay them out, for snn's tests (NirSemanticsTest.java).

Usage: python3 nir_foreign.py OUT_DIR

Written with h5py in the layout of NIR's writer (nir/serialization.py: a root 'version', the graph under /node,
one group per node with its 'type' and every field of its dataclass, variable-length strings, gzip-compressed
arrays; nested graphs as groups of type NIRGraph) and with the parameter conventions of each exporter:
  norse_single_lif.nir  the NIR paper's single LIF neuron from Norse: Input -> Affine -> LIF -> Output, LIFBoxCell's
                        parameters (tau = 1 / tau_mem_inv = 0.01 s, r = 1, v_leak 0, v_threshold 1, v_reset 0),
                        meant for dt = 1e-4 s
  snntorch_rnn.nir      the NIR paper's recurrent network from snnTorch: Affine -> RSynaptic (a nested graph
                        input -> lif (CubaLIF) -> w_rec (Linear) -> lif, lif -> output) -> Affine -> Synaptic
                        (CubaLIF) -> Output, spiking output; tau_syn = dt/(1-alpha), tau_mem = dt/(1-beta),
                        r = tau_mem/dt, w_in = tau_syn/dt with dt = 1e-4 s
  norse_flat.nir        Norse's conventions (r = 1) with every neuron field in use: Linear -> LIF (v_leak, v_reset,
                        v_threshold per neuron) with a recurrent Affine -> Affine -> IF -> Affine -> LI -> Output
  mixed.nir             the other node types: Affine -> CubaLI (hidden, non-spiking) -> Scale -> Threshold ->
                        Affine -> I -> Output, and a LIF layer beside it feeding the same Affine
  norse_zero_reset.nir  r = 1, v_leak = 0, v_reset = 0 everywhere: Linear -> LIF -> Affine -> LIF -> Affine -> LI ->
                        Output, no metadata at all (an snn zero-reset network exactly)
"""
import os
import sys

import h5py
import numpy as np

STR = h5py.string_dtype()
rng = np.random.default_rng(2024)


def put(group, name, value):
    value = np.asarray(value)
    if value.dtype.kind in "US":
        group.create_dataset(name, data=np.asarray(value, dtype=object), dtype=STR)
    elif value.ndim == 0:
        group.create_dataset(name, data=value)
    else:
        group.create_dataset(name, data=value, compression="gzip")


def graph(group, nodes, edges, metadata=None):
    group.create_dataset("type", data="NIRGraph", dtype=STR)
    ng = group.create_group("nodes")
    for name, (kind, fields) in nodes.items():
        g = ng.create_group(name)
        if kind == "NIRGraph":
            graph(g, *fields)
            continue
        g.create_dataset("type", data=kind, dtype=STR)
        for k, v in fields.items():
            put(g, k, v)
    group.create_dataset("edges", data=np.asarray(edges, dtype=object), dtype=STR)
    if metadata:
        m = group.create_group("metadata")
        for k, v in metadata.items():
            put(m, k, v)


def write(path, nodes, edges, metadata=None):
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data="1.0.7", dtype=STR)
        graph(f.create_group("node"), nodes, edges, metadata)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def dense(n_out, n_in, scale, bias=True):
    w = f32(rng.uniform(-1, 1, (n_out, n_in)) * scale)
    if bias:
        return ("Affine", {"weight": w, "bias": f32(rng.uniform(-0.2, 0.6, n_out) * scale)})
    return ("Linear", {"weight": w})


def io(kind, n):
    return (kind, {"shape": np.array([n], dtype=np.int64)})


def main(out):
    os.makedirs(out, exist_ok=True)
    # Norse LIFBoxCell with its default parameters, one neuron.
    write(f"{out}/norse_single_lif.nir", {
        "input": io("Input", 2),
        "linear": ("Affine", {"weight": f32([[80.0, 45.0]]), "bias": f32([5.0])}),
        "lif": ("LIF", {"tau": f32([0.01]), "r": f32([1.0]), "v_leak": f32([0.0]), "v_threshold": f32([1.0]),
                        "v_reset": f32([0.0])}),
        "output": io("Output", 1),
    }, [("input", "linear"), ("linear", "lif"), ("lif", "output")])

    # snnTorch's RSynaptic and Synaptic, dt = 1e-4.
    dt = 1e-4
    n_in, n_rec, n_out = 6, 10, 4

    def cuba(n, alpha, beta, threshold):
        tau_syn = f32(dt / (1 - np.full(n, alpha)))
        tau_mem = f32(dt / (1 - np.full(n, beta)))
        return ("CubaLIF", {"tau_syn": tau_syn, "tau_mem": tau_mem, "r": f32(tau_mem / dt), "v_leak": f32(np.zeros(n)),
                            "v_threshold": f32(np.full(n, threshold)), "v_reset": f32(np.zeros(n)),
                            "w_in": f32(tau_syn / dt)})

    write(f"{out}/snntorch_rnn.nir", {
        "input": io("Input", n_in),
        "fc1": dense(n_rec, n_in, 0.9),
        "lif1": ("NIRGraph", ({
            "input": io("Input", n_rec),
            "lif": cuba(n_rec, 0.8, 0.9, 1.0),
            "w_rec": dense(n_rec, n_rec, 0.5, bias=False),
            "output": io("Output", n_rec),
        }, [("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")])),
        "fc2": dense(n_out, n_rec, 1.2),
        "lif2": cuba(n_out, 0.7, 0.85, 1.0),
        "output": io("Output", n_out),
    }, [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")])

    # Norse's conventions (r = 1), all LIF fields in use, recurrent Affine, IF and LI.
    n1, n2, classes = 8, 5, 3
    write(f"{out}/norse_flat.nir", {
        "input": io("Input", n_in),
        "fc1": dense(n1, n_in, 300.0, bias=False),
        "lif1": ("LIF", {"tau": rng.uniform(0.002, 0.02, n1), "r": np.ones(n1), "v_leak": rng.uniform(-0.1, 0.3, n1),
                         "v_threshold": rng.uniform(0.5, 1.5, n1), "v_reset": rng.uniform(-0.3, 0.2, n1)}),
        "rec1": dense(n1, n1, 20.0),
        "fc2": dense(n2, n1, 3000.0),
        "if2": ("IF", {"r": np.ones(n2), "v_threshold": rng.uniform(0.8, 1.2, n2), "v_reset": rng.uniform(-0.2, 0.0, n2)}),
        "fc3": dense(classes, n2, 200.0),
        "li": ("LI", {"tau": rng.uniform(0.005, 0.05, classes), "r": np.ones(classes), "v_leak": np.zeros(classes)}),
        "output": io("Output", classes),
    }, [("input", "fc1"), ("fc1", "lif1"), ("lif1", "rec1"), ("rec1", "lif1"), ("lif1", "fc2"), ("fc2", "if2"),
        ("if2", "fc3"), ("fc3", "li"), ("li", "output")])

    # The remaining node types.
    write(f"{out}/mixed.nir", {
        "input": io("Input", n_in),
        "fc1": dense(n1, n_in, 1.0),
        "cli": ("CubaLI", {"tau_syn": f32(np.full(n1, 0.002)), "tau_mem": f32(np.full(n1, 0.005)), "r": f32(np.full(n1, 50.0)),
                           "v_leak": f32(np.zeros(n1)), "w_in": f32(np.full(n1, 20.0))}),
        "scale": ("Scale", {"scale": f32(rng.uniform(0.5, 2.0, n1))}),
        "thr": ("Threshold", {"threshold": f32(rng.uniform(0.2, 0.8, n1))}),
        "fcb": dense(n1, n_in, 400.0),
        "lifb": ("LIF", {"tau": f32(np.full(n1, 0.01)), "r": f32(np.ones(n1)), "v_leak": f32(np.zeros(n1)),
                         "v_threshold": f32(np.ones(n1)), "v_reset": f32(np.zeros(n1))}),
        "fc2": dense(classes, n1, 1.0),
        "integ": ("I", {"r": f32(np.full(classes, 100.0))}),
        "output": io("Output", classes),
    }, [("input", "fc1"), ("fc1", "cli"), ("cli", "scale"), ("scale", "thr"), ("thr", "fc2"), ("input", "fcb"),
        ("fcb", "lifb"), ("lifb", "fc2"), ("fc2", "integ"), ("integ", "output")])

    # An snn zero-reset network in Norse's conventions, without metadata.
    write(f"{out}/norse_zero_reset.nir", {
        "input": io("Input", n_in),
        "fc1": dense(n1, n_in, 400.0, bias=False),
        "lif1": ("LIF", {"tau": f32(rng.uniform(0.002, 0.02, n1)), "r": f32(np.ones(n1)), "v_leak": f32(np.zeros(n1)),
                         "v_threshold": f32(rng.uniform(0.5, 1.5, n1)), "v_reset": f32(np.zeros(n1))}),
        "fc2": dense(n2, n1, 1500.0),
        "lif2": ("LIF", {"tau": f32(np.full(n2, 0.01)), "r": f32(np.ones(n2)), "v_leak": f32(np.zeros(n2)),
                         "v_threshold": f32(np.ones(n2)), "v_reset": f32(np.zeros(n2))}),
        "fc3": dense(classes, n2, 100.0),
        "li": ("LI", {"tau": f32(np.full(classes, 0.02)), "r": f32(np.ones(classes)), "v_leak": f32(np.zeros(classes))}),
        "output": io("Output", classes),
    }, [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "fc3"), ("fc3", "li"),
        ("li", "output")])
    print("wrote", sorted(os.listdir(out)))


if __name__ == "__main__":
    main(sys.argv[1])
