"""An independent NIR simulator for snn's tests (src/test/java/snn/interop/NirSemanticsTest.java).

Usage: python3 nir_sim.py JOB.json

Written from NIR's own definitions (neuromorphs/NIR, nir/ir/*.py: each node's differential equation; the HDF5
layout of nir/serialization.py), reading the file with h5py and computing with numpy in float64. It shares no code
with snn and reads none of snn's metadata except, where a graph has no spiking output, the optional 'readout'.

Semantics (the same rules docs/interop.md states):
  * forward Euler with the step dt on every differential equation, one step per input column;
  * every neuron starts at rest: v = v_leak for LIF, LI, CubaLIF, CubaLI; v = 0 for IF and I; synaptic current 0;
  * LIF/IF/CubaLIF fire z = 1 when v > v_threshold (strictly) and then set v = v_reset in the same step;
  * CubaLIF/CubaLI update the synaptic current first and integrate the membrane with the updated current;
  * a node's input is the sum of what its incoming edges carry; an edge that closes a cycle (found by a depth-first
    walk from the graph's Input following edges in file order) carries its source's output of the previous step,
    zero at the first step;
  * a nested NIRGraph is a node whose Input receives the node's input and whose Output is the node's output; it
    is simulated as a graph of its own (not inlined), its nodes reported as <graph>.<node>.

JOB.json: a list of tasks {"file", "dt", "input": {"shape", "data"}, "out"}; the simulator writes to "out" a JSON of
{"output": ..., "logits": ..., "<node>.spikes": ..., "<node>.v": ..., "<node>.i": ...} as {"shape", "data"} arrays
[batch, n, T] ([batch, classes] for logits). Exit status 1 if any task failed.
"""
import json
import sys
import traceback

import h5py
import numpy as np


def text(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def arr(group, name, n=None, default=None):
    if name not in group:
        if default is None:
            raise ValueError(f"{group.name} lacks {name}")
        return np.full(n, default, dtype=np.float64)
    value = np.asarray(group[name][()], dtype=np.float64)
    if n is not None and value.size == 1:
        return np.full(n, float(value.reshape(-1)[0]))
    return value.reshape(-1) if value.ndim <= 1 else value


class Node:
    spiking = False

    def reset(self, batch):
        pass


class Passthrough(Node):
    def __init__(self, n):
        self.n = n

    def step(self, x):
        return x


class Dense(Node):
    def __init__(self, weight, bias):
        self.w = np.asarray(weight, dtype=np.float64)
        self.b = None if bias is None else np.asarray(bias, dtype=np.float64)
        self.n = self.w.shape[0]
        self.n_in = self.w.shape[1]

    def step(self, x):
        y = x @ self.w.T
        return y if self.b is None else y + self.b


class Scale(Node):
    def __init__(self, scale):
        self.s = scale
        self.n = scale.size

    def step(self, x):
        return x * self.s


class Threshold(Node):
    spiking = True

    def __init__(self, theta):
        self.theta = theta
        self.n = theta.size

    def step(self, x):
        z = (x > self.theta).astype(np.float64)
        self.trace = {"spikes": z}
        return z


class Neuron(Node):
    """LIF, LI, IF, I, CubaLIF, CubaLI: tau v' = (v_leak - v) + r I (leaky) or v' = r I, optional synapse and spike."""

    def __init__(self, kind, g, dt):
        self.kind = kind
        self.dt = dt
        if kind in ("LIF", "LI"):
            self.tau = arr(g, "tau")
            n = self.tau.size
        elif kind in ("CubaLIF", "CubaLI"):
            self.tau_syn = arr(g, "tau_syn")
            n = self.tau_syn.size
            self.tau = arr(g, "tau_mem")
            self.w_in = arr(g, "w_in", n, 1.0)
        else:
            n = arr(g, "r").size
        self.n = n
        self.r = arr(g, "r", n)
        self.leaky = kind not in ("IF", "I")
        self.v_leak = arr(g, "v_leak", n) if self.leaky else np.zeros(n)
        self.spiking = kind in ("LIF", "IF", "CubaLIF")
        if self.spiking:
            self.v_threshold = arr(g, "v_threshold", n)
            self.v_reset = arr(g, "v_reset", n, 0.0)

    def reset(self, batch):
        self.v = np.tile(self.v_leak, (batch, 1)).astype(np.float64)
        self.i = np.zeros((batch, self.n))

    def step(self, x):
        trace = {}
        drive = x
        if self.kind in ("CubaLIF", "CubaLI"):
            self.i = self.i + (self.dt / self.tau_syn) * (self.w_in * x - self.i)
            drive = self.i
            trace["i"] = self.i
        if self.leaky:
            self.v = self.v + (self.dt / self.tau) * ((self.v_leak - self.v) + self.r * drive)
        else:
            self.v = self.v + self.dt * (self.r * drive)
        out = self.v
        if self.spiking:
            z = self.v > self.v_threshold
            self.v = np.where(z, self.v_reset, self.v)
            out = z.astype(np.float64)
            trace["spikes"] = out
        trace["v"] = self.v  # the state at the end of the step (after a reset)
        self.trace = trace
        return out


class Graph(Node):
    def __init__(self, group, dt, path="/node"):
        if text(group["type"][()]) != "NIRGraph":
            raise ValueError(f"{path} is not a NIRGraph")
        self.nodes = {}
        for name, g in group["nodes"].items():
            self.nodes[name] = build(g, dt, f"{path}/nodes/{name}")
        self.edges = [(text(a), text(b)) for a, b in group["edges"][()]]
        self.input = [k for k, v in self.nodes.items() if isinstance(v, Passthrough) and v.role == "Input"]
        self.output = [k for k, v in self.nodes.items() if isinstance(v, Passthrough) and v.role == "Output"]
        if len(self.input) != 1 or len(self.output) != 1:
            raise ValueError(f"{path}: needs one Input and one Output")
        self.input, self.output = self.input[0], self.output[0]
        self.n = self.nodes[self.output].n
        self.n_in = self.nodes[self.input].n
        self.metadata = {}
        if "metadata" in group:
            self.metadata = {k: text(v[()]) if isinstance(v[()], bytes) else v[()] for k, v in group["metadata"].items()}
        # Depth-first walk from the Input in edge order: an edge back onto the current path closes a cycle.
        self.delayed = set()
        finished, on_path, seen = [], set(), set()

        def visit(node):
            seen.add(node)
            on_path.add(node)
            for a, b in self.edges:
                if a != node:
                    continue
                if b in on_path:
                    self.delayed.add((a, b))
                elif b not in seen:
                    visit(b)
            on_path.discard(node)
            finished.append(node)

        visit(self.input)
        missing = set(self.nodes) - seen
        if missing:
            raise ValueError(f"{path}: nodes {sorted(missing)} are not reachable from the Input")
        self.order = finished[::-1]

    def reset(self, batch):
        self.previous = {name: None for name in self.nodes}
        for node in self.nodes.values():
            node.reset(batch)

    def step(self, x):
        now = {}
        for name in self.order:
            node = self.nodes[name]
            if name == self.input:
                total = x
            else:
                total = 0.0
                for a, b in self.edges:
                    if b != name:
                        continue
                    v = self.previous[a] if (a, b) in self.delayed else now[a]
                    if v is not None:
                        total = total + v
                if np.isscalar(total):
                    total = np.zeros((x.shape[0], getattr(node, "n_in", node.n)))
            now[name] = node.step(total)
        self.previous = now
        return now[self.output]

    def traces(self, prefix=""):
        out = {}
        for name, node in self.nodes.items():
            if isinstance(node, Graph):
                out.update(node.traces(prefix + name + "."))
            elif hasattr(node, "trace"):
                for k, v in node.trace.items():
                    out[prefix + name + "." + k] = v
        return out

    def spiking_output(self):
        sources = [self.nodes[a] for a, b in self.edges if b == self.output]
        return bool(sources) and all(s.spiking if not isinstance(s, Graph) else s.spiking_output() for s in sources)

    @property
    def spiking(self):
        return self.spiking_output()


def build(g, dt, path):
    kind = text(g["type"][()])
    if kind in ("Input", "Output"):
        node = Passthrough(int(np.asarray(g["shape"][()]).reshape(-1)[0]))
        node.role = kind
        return node
    if kind == "Affine":
        return Dense(g["weight"][()], g["bias"][()])
    if kind == "Linear":
        return Dense(g["weight"][()], None)
    if kind == "Scale":
        return Scale(arr(g, "scale"))
    if kind == "Threshold":
        return Threshold(arr(g, "threshold"))
    if kind in ("LIF", "LI", "IF", "I", "CubaLIF", "CubaLI"):
        return Neuron(kind, g, dt)
    if kind == "NIRGraph":
        return Graph(g, dt, path)
    raise ValueError(f"{path}: node type {kind} is not simulated here")


def run(task):
    with h5py.File(task["file"], "r") as f:
        graph = Graph(f["node"], float(task["dt"]))
    x = np.asarray(task["input"]["data"], dtype=np.float64).reshape(task["input"]["shape"])
    batch, _, steps = x.shape
    graph.reset(batch)
    outputs, traces = [], {}
    for t in range(steps):
        outputs.append(graph.step(x[:, :, t]))
        for k, v in graph.traces().items():
            traces.setdefault(k, []).append(v)
    output = np.stack(outputs, axis=2)
    if graph.spiking_output() or graph.metadata.get("readout", "sum") != "max":
        logits = output.sum(axis=2)
    else:
        logits = output.max(axis=2)
    result = {"output": output, "logits": logits}
    result.update({k: np.stack(v, axis=2) for k, v in traces.items()})
    with open(task["out"], "w") as out:
        json.dump({k: {"shape": list(v.shape), "data": v.reshape(-1).tolist()} for k, v in result.items()}, out)
    print(f"{task['file']}: {steps} steps, predictions {logits.argmax(axis=1).tolist()}, "
          f"spiking output: {graph.spiking_output()}")


def main():
    with open(sys.argv[1]) as f:
        tasks = json.load(f)
    failed = 0
    for task in tasks:
        try:
            run(task)
        except Exception:
            failed += 1
            print(f"FAILED {task.get('file')}:\n{traceback.format_exc()}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
