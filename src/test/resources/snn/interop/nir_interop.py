"""Python side of snn's NIR tests (src/test/java/snn/interop/NirInteropTest.java).

Usage: python3 nir_interop.py JOB.json

An independent reader and writer of NIR files, written from the NIR specification (neuromorphs/NIR: the node
definitions in nir/ir/*.py, the HDF5 layout of nir/serialization.py) with h5py and numpy only; it shares no code
with snn. JOB.json is a list of tasks; every failure is reported and the exit status is 1 if any task failed.

Tasks:
  check      reads a NIR file snn wrote and checks it against the specification: the root 'version', /node a
             NIRGraph, every node's 'type' and exactly the fields that type has (plus optional 'metadata'), their
             dtypes and shapes, 'edges' an (N, 2) array naming existing nodes, sizes agreeing along every edge
             (NIR's type check); then the expected node types, edges and decays, and finally runs the graph on the
             given input with the semantics the file's metadata states (forward Euler with 'dt', the 'reset', the
             'readout' over time) and compares the logits with the ones Java computed.
  write      writes a NIR file by hand the way NIR's reference writer lays it out (variable-length strings, gzip,
             float64 or float32 parameters, optional fields left out, a recurrent layer as a nested NIRGraph when
             asked), runs it on a random input as above and writes input and logits for Java.
  malformed  writes broken variants of a small valid file, one per name, for Java's error messages.
"""
import json
import sys
import traceback

import h5py
import numpy as np

# The fields of each node type (nir/ir/*.py); 'metadata' may accompany any of them.
REQUIRED = {
    "Input": {"shape"}, "Output": {"shape"},
    "Affine": {"weight", "bias"}, "Linear": {"weight"},
    "LIF": {"tau", "r", "v_leak", "v_threshold"}, "LI": {"tau", "r", "v_leak"},
    "NIRGraph": {"nodes", "edges"},
}
OPTIONAL = {"LIF": {"v_reset"}}
NEURON_PARAMETERS = {"tau", "r", "v_leak", "v_threshold", "v_reset"}


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def text(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


# ---------------------------------------------------------------------------------------------------------------
# Reading, with the specification's checks

def read_graph(group, path):
    check(text(group["type"][()]) == "NIRGraph", f"{path}/type is {group['type'][()]!r}, expected NIRGraph")
    nodes = {}
    for name, node in group["nodes"].items():
        nodes[name] = read_node(node, f"{path}/nodes/{name}")
    raw = group["edges"][()]
    check(raw.ndim == 2 and raw.shape[1] == 2, f"{path}/edges has shape {raw.shape}, expected (N, 2)")
    edges = [(text(a), text(b)) for a, b in raw]
    for a, b in edges:
        check(a in nodes and b in nodes, f"{path}: edge {a} -> {b} names a node that does not exist")
    metadata = {}
    if "metadata" in group:
        metadata = {k: (text(v[()]) if isinstance(v[()], bytes) else v[()]) for k, v in group["metadata"].items()}
    return {"type": "NIRGraph", "nodes": nodes, "edges": edges, "metadata": metadata}


def read_node(group, path):
    check("type" in group, f"{path} has no type")
    kind = text(group["type"][()])
    check(kind in REQUIRED, f"{path}: type {kind} is not one snn writes")
    if kind == "NIRGraph":
        return read_graph(group, path)
    fields = set(group.keys()) - {"type", "metadata"}
    missing = REQUIRED[kind] - fields
    extra = fields - REQUIRED[kind] - OPTIONAL.get(kind, set())
    check(not missing, f"{path} ({kind}) lacks {sorted(missing)}")
    check(not extra, f"{path} ({kind}) has fields the specification does not define: {sorted(extra)}")
    node = {"type": kind}
    for field in fields:
        value = group[field][()]
        if field == "shape":
            check(np.issubdtype(value.dtype, np.integer), f"{path}/shape has dtype {value.dtype}, expected integers")
        else:
            check(np.issubdtype(value.dtype, np.floating), f"{path}/{field} has dtype {value.dtype}, expected floats")
            check(np.all(np.isfinite(value)), f"{path}/{field} holds non-finite values")
        node[field] = value
    if kind in ("LIF", "LI"):
        n = node["tau"].shape
        check(len(n) == 1, f"{path}/tau has shape {n}, expected one value per neuron")
        for field in fields & NEURON_PARAMETERS:
            check(node[field].shape == n, f"{path}/{field} has shape {node[field].shape}, tau has {n}")
        check(np.all(node["tau"] > 0), f"{path}/tau must be positive")
    if kind in ("Affine", "Linear"):
        check(node["weight"].ndim == 2, f"{path}/weight has shape {node['weight'].shape}, expected 2-D")
    if kind == "Affine":
        check(node["bias"].shape == node["weight"].shape[:1], f"{path}/bias has shape {node['bias'].shape}, weight"
              f" {node['weight'].shape}")
    if kind in ("Input", "Output"):
        check(node["shape"].ndim == 1, f"{path}/shape must be a 1-D array of sizes")
    return node


def sizes(node):
    """(input size, output size) per step, as NIR's type inference sees them."""
    kind = node["type"]
    if kind in ("Affine", "Linear"):
        return int(node["weight"].shape[1]), int(node["weight"].shape[0])
    if kind in ("LIF", "LI"):
        return int(node["tau"].shape[0]), int(node["tau"].shape[0])
    if kind in ("Input", "Output"):
        return int(np.prod(node["shape"])), int(np.prod(node["shape"]))
    if kind == "NIRGraph":
        inner = [n for n in node["nodes"].values()]
        return (sizes(next(n for n in inner if n["type"] == "Input"))[0],
                sizes(next(n for n in inner if n["type"] == "Output"))[1])
    raise Failure(f"no sizes for {kind}")


def type_check(graph, path="/node"):
    for a, b in graph["edges"]:
        out_size = sizes(graph["nodes"][a])[1]
        in_size = sizes(graph["nodes"][b])[0]
        check(out_size == in_size, f"{path}: edge {a} -> {b} carries {out_size} values into a node taking {in_size}")
    for name, node in graph["nodes"].items():
        if node["type"] == "NIRGraph":
            type_check(node, f"{path}/nodes/{name}")


def read_file(path):
    with h5py.File(path, "r") as f:
        check("version" in f, "no root dataset 'version'")
        version = text(f["version"][()])
        graph = read_graph(f["node"], "/node")
    type_check(graph)
    return version, graph


# ---------------------------------------------------------------------------------------------------------------
# Running a graph

def inline(graph):
    """Replaces nested graphs by their nodes (named '<graph>.<node>'), joined through their Input and Output."""
    nodes, edges = {}, list(graph["edges"])
    for name, node in graph["nodes"].items():
        if node["type"] != "NIRGraph":
            nodes[name] = node
            continue
        inner = inline(node)
        (i,) = [k for k, n in inner["nodes"].items() if n["type"] == "Input"]
        (o,) = [k for k, n in inner["nodes"].items() if n["type"] == "Output"]
        into = [a for a, b in edges if b == name]
        out_of = [b for a, b in edges if a == name]
        edges = [(a, b) for a, b in edges if name not in (a, b)]
        for k, n in inner["nodes"].items():
            if k not in (i, o):
                nodes[f"{name}.{k}"] = n
        for a, b in inner["edges"]:
            sources = into if a == i else [f"{name}.{a}"]
            targets = out_of if b == o else [f"{name}.{b}"]
            edges += [(s, t) for s in sources for t in targets]
    return {"type": "NIRGraph", "nodes": nodes, "edges": edges, "metadata": graph["metadata"]}


def run(graph, x, dt, reset, readout, activity=None):
    """Logits of a flat graph on spikes x [batch, inputs, T]: forward Euler with step dt; an edge that closes a cycle
    carries the previous step's output of its source (nothing at t = 0); logits = the Output summed or maxed.
    activity, if given, receives each LIF node's share of neuron-steps with a spike."""
    nodes, edges = graph["nodes"], graph["edges"]
    (start,) = [k for k, n in nodes.items() if n["type"] == "Input"]
    (end,) = [k for k, n in nodes.items() if n["type"] == "Output"]
    back, on_stack, seen = set(), set(), set()

    def dfs(u):
        seen.add(u)
        on_stack.add(u)
        for a, b in edges:
            if a == u:
                if b in on_stack:
                    back.add((a, b))
                elif b not in seen:
                    dfs(b)
        on_stack.discard(u)

    dfs(start)
    forward = [e for e in edges if e not in back]
    order, pending = [], dict((k, sum(1 for a, b in forward if b == k)) for k in nodes)
    ready = [k for k, c in pending.items() if c == 0]
    while ready:
        u = ready.pop(0)
        order.append(u)
        for a, b in forward:
            if a == u:
                pending[b] -= 1
                if pending[b] == 0:
                    ready.append(b)
    check(len(order) == len(nodes), "the graph has a cycle without a way in")
    batch, steps = x.shape[0], x.shape[2]
    v = {k: np.zeros((batch, sizes(n)[1])) for k, n in nodes.items() if n["type"] in ("LIF", "LI")}
    previous, outputs = {}, []
    for t in range(steps):
        current = {}
        for k in order:
            n = nodes[k]
            if n["type"] == "Input":
                current[k] = x[:, :, t].astype(np.float64)
                continue
            total = np.zeros((batch, sizes(n)[0]))
            for a, b in edges:
                if b == k:
                    if (a, b) in back:
                        total = total + previous.get(a, 0)
                    else:
                        total = total + current[a]
            if n["type"] == "Affine":
                current[k] = total @ n["weight"].astype(np.float64).T + n["bias"]
            elif n["type"] == "Linear":
                current[k] = total @ n["weight"].astype(np.float64).T
            elif n["type"] in ("LIF", "LI"):
                tau, r, leak = (n[f].astype(np.float64) for f in ("tau", "r", "v_leak"))
                v[k] = v[k] + dt / tau * (leak - v[k] + r * total)
                if n["type"] == "LIF":
                    threshold = n["v_threshold"].astype(np.float64)
                    z = (v[k] > threshold).astype(np.float64)
                    if reset == "subtract":
                        v[k] = v[k] - threshold * z
                    else:
                        v[k] = np.where(z > 0, n.get("v_reset", np.zeros_like(threshold)), v[k])
                    current[k] = z
                    if activity is not None:
                        activity[k] = activity.get(k, 0) + z.mean() / steps
                else:
                    current[k] = v[k].copy()
            elif n["type"] == "Output":
                current[k] = total
                outputs.append(total)
        previous = current
    trace = np.stack(outputs, axis=2)
    return trace.sum(axis=2) if readout == "sum" else trace.max(axis=2)


# ---------------------------------------------------------------------------------------------------------------
# Tasks

def check_file(task):
    version, graph = read_file(task["file"])
    check(version == task["version"], f"version {version!r}, expected {task['version']!r}")
    nodes = graph["nodes"]
    types = {k: n["type"] for k, n in nodes.items()}
    check(types == task["types"], f"node types {types}, expected {task['types']}")
    check(sorted(graph["edges"]) == sorted(tuple(e) for e in task["edges"]),
          f"edges {sorted(graph['edges'])}, expected {sorted(task['edges'])}")
    meta = graph["metadata"]
    dt = float(meta["dt"])
    check(dt == task["dt"], f"metadata dt {dt}, expected {task['dt']}")
    check(json.loads(meta["snn_metadata"])["config"]["model"]["kind"] == "standard", "snn_metadata lacks the config")
    for name, beta in task["betas"].items():
        node = nodes[name]
        beta = np.array(beta, dtype=np.float32).astype(np.float64)
        # the documented mapping: tau = dt / (1 - beta), r = 1 / (1 - beta) (beta = 1: dt/tau = 2^-26), v_leak = 0,
        # v_threshold = 1, v_reset = 0
        rate = np.where(beta == 1, 2.0 ** -26, 1 - beta)
        check(np.allclose(node["tau"], dt / rate, rtol=1e-12, atol=0), f"{name}: tau {node['tau']} != dt/(1-beta)")
        check(np.allclose(node["r"], 1 / rate, rtol=1e-12, atol=0), f"{name}: r {node['r']} != 1/(1-beta)")
        check(node["tau"].dtype == np.float64, f"{name}: tau is {node['tau'].dtype}, NIR writes float64")
        check(np.all(node["v_leak"] == 0), f"{name}: v_leak != 0")
        if node["type"] == "LIF":
            check(np.all(node["v_threshold"] == 1) and np.all(node["v_reset"] == 0), f"{name}: threshold/reset")
        recovered = (1 - dt / node["tau"]).astype(np.float32)
        check(np.array_equal(recovered, beta.astype(np.float32)), f"{name}: 1 - dt/tau does not give beta back")
    for name, node in nodes.items():
        if node["type"] in ("Affine", "Linear"):
            check(node["weight"].dtype == np.float32, f"{name}: weight is {node['weight'].dtype}, NIR writes float32")
    x = np.array(task["input"]["data"], dtype=np.float32).reshape(task["input"]["shape"])
    logits = run(inline(graph), x, dt, meta["reset"], meta["readout"])
    expected = np.array(task["logits"]["data"]).reshape(task["logits"]["shape"])
    scale = max(1.0, float(np.abs(expected).max()))
    error = float(np.abs(logits - expected).max())
    check(error <= 1e-4 * scale, f"logits from the graph differ from snn's by {error} (scale {scale}):\n{logits}\n"
          f"vs\n{expected}")
    return f"{len(nodes)} nodes, {len(graph['edges'])} edges follow the specification; the graph run with forward" \
           f" Euler gives snn's logits to {error:.2e}"


def strings(values):
    return np.array(values, dtype=h5py.string_dtype())


def write_group(group, node, float_type, gzip):
    opts = {"compression": "gzip"} if gzip else {}
    group.create_dataset("type", data=node["type"], dtype=h5py.string_dtype())
    if node["type"] == "NIRGraph":
        nodes = group.create_group("nodes")
        for name, child in node["nodes"].items():
            write_group(nodes.create_group(name), child, float_type, gzip)
        group.create_dataset("edges", data=strings(node["edges"]))
        if node.get("metadata"):
            meta = group.create_group("metadata")
            for k, v in node["metadata"].items():
                meta.create_dataset(k, data=v)
        return
    for field, value in node.items():
        if field == "type":
            continue
        if isinstance(value, str):
            group.create_dataset(field, data=value, dtype=h5py.string_dtype())
        elif field == "shape":
            group.create_dataset(field, data=np.asarray(value, dtype=np.int64), **opts)
        elif field in ("weight", "bias"):
            group.create_dataset(field, data=np.asarray(value, dtype=np.float32 if float_type == "float32"
                                                        else np.float64), **opts)
        else:
            group.create_dataset(field, data=np.asarray(value, dtype=float_type), **opts)


def layers_graph(spec, rng):
    """A chain graph from a compact description: inputs, hidden layers (size, recurrent, as_subgraph, linear,
    threshold, r convention), the readout, the time step."""
    dt = spec["dt"]
    nodes = {"input": {"type": "Input", "shape": [spec["inputs"]]}}
    edges, previous, width = [], "input", spec["inputs"]

    def neuron(n, kind, threshold):
        tau = dt / (1 - rng.uniform(0.6, 0.95, n))  # decays of 0.6 .. 0.95 per step
        r = tau / dt if spec["r"] == "tau/dt" else np.ones(n)
        node = {"type": kind, "tau": tau, "r": r, "v_leak": np.zeros(n)}
        if kind == "LIF":
            node["v_threshold"] = np.full(n, threshold)
            if spec.get("write_v_reset", True):
                node["v_reset"] = np.zeros(n)
        return node

    def projection(n_out, n_in, linear, gain, shift=0.6):
        scale = gain / np.sqrt(n_in)
        w = rng.uniform(-scale, scale, (n_out, n_in)) + (scale * shift)
        if linear:
            return {"type": "Linear", "weight": w}
        return {"type": "Affine", "weight": w, "bias": rng.uniform(-0.05, 0.05, n_out)}

    for i, layer in enumerate(spec["hidden"]):
        n = layer["size"]
        gain = layer["threshold"] * (1.0 if spec["r"] == "tau/dt" else 1 / (1 - 0.8)) * 1.5
        nodes[f"fc{i}"] = projection(n, width, layer.get("linear", False), gain)
        edges.append((previous, f"fc{i}"))
        lif = neuron(n, "LIF", layer["threshold"])
        if layer.get("recurrent"):
            rec = projection(n, n, False, gain, shift=-0.5)  # mostly inhibitory, so activity stays moderate
            if layer.get("as_subgraph"):
                nodes[f"rnn{i}"] = {"type": "NIRGraph", "nodes": {
                    "input": {"type": "Input", "shape": [n]}, "lif": lif, "w_rec": rec,
                    "output": {"type": "Output", "shape": [n]}},
                    "edges": [("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")]}
                edges.append((f"fc{i}", f"rnn{i}"))
                previous = f"rnn{i}"
            else:
                nodes[f"lif{i}"], nodes[f"rec{i}"] = lif, rec
                edges += [(f"fc{i}", f"lif{i}"), (f"lif{i}", f"rec{i}"), (f"rec{i}", f"lif{i}")]
                previous = f"lif{i}"
        else:
            nodes[f"lif{i}"] = lif
            edges.append((f"fc{i}", f"lif{i}"))
            previous = f"lif{i}"
        width = n
    classes = spec["classes"]
    nodes["fc_out"] = projection(classes, width, False, 1.0)
    nodes["li_out"] = neuron(classes, "LI", 1.0)
    nodes["output"] = {"type": "Output", "shape": [classes]}
    edges += [(previous, "fc_out"), ("fc_out", "li_out"), ("li_out", "output")]
    return {"type": "NIRGraph", "nodes": nodes, "edges": edges, "metadata": spec.get("metadata", {})}


def write_file(path, graph, float_type="float64", gzip=True):
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data="1.0.7", dtype=h5py.string_dtype())
        write_group(f.create_group("node"), graph, float_type, gzip)


def write(task):
    rng = np.random.default_rng(task["seed"])
    spec = task["network"]
    graph = layers_graph(spec, rng)
    write_file(task["file"], graph, task.get("float_type", "float64"))
    _, read_back = read_file(task["file"])
    steps = task["steps"]
    x = (rng.random((task["batch"], spec["inputs"], steps)) < 0.3).astype(np.float32)
    activity = {}
    # A file without snn's metadata means NIR's LIF: reset to v_reset (0 here) in the same step.
    logits = run(inline(read_back), x, spec["dt"], "zero", task["readout"], activity)
    for k, rate in activity.items():
        check(0.02 < rate < 0.8, f"{k} spikes in {rate:.3f} of its neuron-steps: too few or too many to test with")
    with open(task["out"], "w") as f:
        json.dump({"input": {"shape": list(x.shape), "data": x.flatten().tolist()},
                   "logits": {"shape": list(logits.shape), "data": logits.flatten().tolist()}}, f)
    rates = ", ".join(f"{k} {v:.2f}" for k, v in activity.items())
    return f"wrote {task['file']} ({len(read_back['nodes'])} nodes; spike rates {rates}) and its logits"


def malformed(task):
    folder = task["folder"]
    rng = np.random.default_rng(3)
    base = {"dt": 1e-3, "inputs": 4, "classes": 3, "r": "tau/dt",
            "hidden": [{"size": 3, "threshold": 1.0}]}

    def fresh():
        return layers_graph(base, np.random.default_rng(3))

    variants = {}
    g = fresh(); g["edges"].append(("lif0", "ghost")); variants["dangling_edge"] = g
    g = fresh(); del g["nodes"]["input"]; g["edges"] = [e for e in g["edges"] if "input" not in e]
    variants["missing_input"] = g
    g = fresh(); del g["nodes"]["li_out"]
    g["edges"] = [e for e in g["edges"] if "li_out" not in e] + [("fc_out", "output")]
    variants["missing_readout"] = g
    g = fresh(); g["nodes"]["fc0"]["weight"] = rng.uniform(-1, 1, (3, 5)); variants["weight_shape"] = g
    g = fresh(); g["nodes"]["lif0"]["r"] = np.ones(2); variants["parameter_shape"] = g
    g = fresh(); g["nodes"]["fc0"]["bias"] = np.zeros(4); variants["bias_shape"] = g
    g = fresh(); g["nodes"]["lif0"]["type"] = "Spiky"; variants["unknown_type"] = g
    g = fresh()
    g["nodes"]["lif0"] = {"type": "CubaLIF", "tau_syn": np.full(3, 0.01), "tau_mem": np.full(3, 0.01),
                          "r": np.ones(3), "v_leak": np.zeros(3), "v_threshold": np.ones(3), "w_in": np.ones(3)}
    variants["unsupported_type"] = g
    g = fresh(); del g["nodes"]["lif0"]["tau"]; variants["missing_field"] = g
    g = fresh(); g["nodes"]["lif0"]["tau"] = "ten milliseconds"; variants["text_field"] = g
    g = fresh(); g["nodes"]["lif0"]["v_leak"] = np.full(3, 0.1); variants["leak"] = g
    g = fresh(); g["nodes"]["lif0"]["tau"] = np.full(3, 1e-4); variants["tau_below_dt"] = g
    g = fresh(); g["nodes"]["fc_b"] = dict(g["nodes"]["fc0"]); g["edges"].append(("input", "fc_b"))
    g["edges"].append(("fc_b", "lif0")); variants["branch"] = g
    g = fresh(); del g["nodes"]["li_out"], g["nodes"]["fc_out"]
    g["edges"] = [e for e in g["edges"] if "li_out" not in e and "fc_out" not in e] + [("lif0", "output")]
    g["nodes"]["output"]["shape"] = [3]; variants["spiking_readout"] = g
    written = []
    for name, graph in variants.items():
        write_file(f"{folder}/{name}.nir", graph)
        written.append(name)
    with h5py.File(f"{folder}/no_type.nir", "w") as f:
        f.create_dataset("version", data="1.0.7")
        node = f.create_group("node")
        node.create_dataset("type", data="NIRGraph")
        node.create_group("nodes").create_group("input").create_dataset("shape", data=np.array([4]))
        node.create_dataset("edges", data=strings([("input", "input")]))
    with h5py.File(f"{folder}/edges_shape.nir", "w") as f:
        write_group(f.create_group("node"), fresh(), "float64", False)
        del f["node/edges"]
        f["node"].create_dataset("edges", data=strings([("input", "fc0", "lif0")]))
    with h5py.File(f"{folder}/not_nir.nir", "w") as f:
        f.create_dataset("spikes", data=np.zeros(3))
    written += ["no_type", "edges_shape", "not_nir"]
    return f"wrote {len(written)} malformed files: {', '.join(written)}"


TASKS = {"check": check_file, "write": write, "malformed": malformed}


def main():
    with open(sys.argv[1]) as f:
        tasks = json.load(f)
    failures = 0
    print(f"h5py {h5py.__version__}, numpy {np.__version__}")
    for task in tasks:
        label = task.get("label", task["task"])
        try:
            print(f"ok   {label}: {TASKS[task['task']](task)}")
        except Exception as e:  # report every task, then fail
            failures += 1
            detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
            print(f"FAIL {label}: {detail}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
