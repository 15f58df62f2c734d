"""Python side of snn's PyTorch interop tests (src/test/java/snn/interop/PyTorchInteropTest.java).

Usage: python3 torch_interop.py JOB.json

JOB.json is a list of tasks; each task checks a file that Java wrote or writes one for Java to read. Every
failure is reported (task and reason) and the exit status is 1 if any task failed.

Tasks:
  check_torch        torch.load(file, weights_only=True) gives a plain dict: the expected tensors (names, float32,
                     shapes, values) and the snn_metadata JSON string.
  check_safetensors  the file parsed by hand (json + struct): header layout, offsets, values, __metadata__; also
                     through the safetensors package when it is installed.
  strict_load        the file loads with load_state_dict(strict=True) into a re-implementation of the reference
                     module's parameter structure; values and derived kernels are checked; optionally the
                     module's state_dict is saved again as a plain dict (with the metadata) for Java.
  write              writes a file for Java: a plain dict (snn or reference names, views into shared storages,
                     float64 values, a reference module's dict(state_dict())), an OrderedDict, a module's
                     state_dict() as torch.save writes it (with _metadata), state dicts nested under 'state_dict'
                     (with an optimizer's state) or 'model', the legacy format, safetensors written by hand, a
                     malicious pickle (a global PyTorch's weights_only loader refuses, which is checked here), or
                     a state dict with a wrong name or shape.
  runtime_run        snn_pytorch.load(file)(input): logits within rtol of snn's (relative to the sample's
                     largest logit), spikes identical; then a backward pass of the cross-entropy gives finite
                     gradients, nonzero for the first layer's weights.
  runtime_safetensors
                     the same for a safetensors export where the safetensors package is installed; where it is
                     not, load must fail with SnnFileError naming the file and the package.
  runtime_finetune   a few Adam steps in PyTorch, then snn_pytorch.save(net, out) and
                     torch.save(net.state_dict(), state_dict_out); writes the fine-tuned logits on the input to
                     ``logits_out`` for Java to compare with Checkpoints.load(out) and Checkpoints.loadInto.

The runtime_* tasks run snn's networks with the repository's snn_pytorch package (PyTorchRuntimeTest). Each names
the package's folder (``python_path``, the repository's ``python/``), an exported network (``file``), an input
(``input``: {"shape", "data"}) and what snn computed on it (``expected``: logits and each hidden layer's spikes).
"""
import collections
import json
import struct
import sys
import traceback

import torch
import torch.nn as nn

SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
SAFETENSORS_NAMES = {v: k for k, v in SAFETENSORS_DTYPES.items()}
METADATA_KEY = "snn_metadata"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def read_expected(path):
    with open(path) as f:
        raw = json.load(f)
    return {k: torch.tensor(v["data"], dtype=torch.float32).reshape(v["shape"]) for k, v in raw.items()}


def write_expected(path, tensors):
    with open(path, "w") as f:
        json.dump({k: {"shape": list(t.shape), "data": t.detach().double().flatten().tolist()}
                   for k, t in tensors.items()}, f)


def compare_tensors(actual, expected, what, exact_dtype=True):
    check(sorted(actual) == sorted(expected),
          f"{what}: names differ: only in file {sorted(set(actual) - set(expected))},"
          f" missing {sorted(set(expected) - set(actual))}")
    for name, e in expected.items():
        a = actual[name]
        check(isinstance(a, torch.Tensor), f"{what}: {name} is a {type(a).__name__}, not a tensor")
        if exact_dtype:
            check(a.dtype == torch.float32, f"{what}: {name} has dtype {a.dtype}")
        check(list(a.shape) == list(e.shape), f"{what}: {name} has shape {list(a.shape)}, expected {list(e.shape)}")
        check(torch.equal(a.float(), e), f"{what}: values of {name} differ")


def check_metadata(text, expected, what):
    check(isinstance(text, str), f"{what}: {METADATA_KEY} is not a string")
    meta = json.loads(text)
    for key, value in expected.items():
        check(meta.get(key) == value, f"{what}: metadata {key} = {meta.get(key)!r}, expected {value!r}")
    check(isinstance(meta.get("config"), dict) and "model" in meta["config"], f"{what}: metadata without config")
    return meta


def load_torch(path):
    state = torch.load(path, weights_only=True)
    check(type(state) is dict, f"torch.load gave a {type(state).__name__}, not a plain dict")
    return state


def read_safetensors_by_hand(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    check((8 + n) % 8 == 0, f"data section starts at {8 + n}, not 8-byte aligned")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    check(all(isinstance(v, str) for v in metadata.values()), "__metadata__ values must be strings")
    start = 8 + n
    tensors, spans = {}, []
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = SAFETENSORS_DTYPES[entry["dtype"]]
        numel = 1
        for s in entry["shape"]:
            numel *= s
        check(end - begin == numel * torch.tensor([], dtype=dtype).element_size(), f"{name}: byte count")
        buf = bytearray(data[start + begin:start + end])
        flat = torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"])
        spans.append((begin, end))
    spans.sort()
    position = 0
    for begin, end in spans:
        check(begin == position, f"hole or overlap in the data at byte {position}")
        position = end
    check(position == len(data) - start, "data section length does not match the offsets")
    return tensors, metadata


def write_safetensors_by_hand(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        blob = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": SAFETENSORS_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# ----- the reference modules' parameter structure ------------------------------------------------------------
# Attribute names and shapes follow the authors' code: Block repository LinearModel/LinearNeurons with
# MethodFastNaive or MethodStandard, DBlock repository LinearDModel/LinearDNeurons and LinearModel.

class FastNaiveKernels(nn.Module):
    """MethodFastNaive's tensors, which it registers as non-learnable parameters."""

    def __init__(self, nb, t_len, beta):
        super().__init__()
        self._beta_ident_base = nn.Parameter(torch.ones(nb, t_len), requires_grad=False)
        self._beta_exp = nn.Parameter(torch.arange(t_len).flip(0).unsqueeze(0).expand(nb, t_len).float(),
                                      requires_grad=False)
        self._beta_kernel = nn.Parameter(self.beta_kernel(beta), requires_grad=False)
        self._phi_kernel = nn.Parameter((torch.arange(t_len) + 1).flip(0).float().view(1, 1, 1, t_len),
                                        requires_grad=False)

    def beta_kernel(self, beta):
        return torch.pow(beta.unsqueeze(1).multiply(self._beta_ident_base), self._beta_exp).unsqueeze(1).unsqueeze(1)


class ReferenceLayer(nn.Module):
    def __init__(self, n_in, n_out, spec, beta_init):
        super().__init__()
        family, t_len = spec["family"], spec["t_len"]
        nb = 1 if spec.get("shared_beta") else n_out
        self._beta = nn.Parameter(torch.Tensor([beta_init] * nb), requires_grad=True)
        beta = torch.clamp(self._beta, 0, 1).detach()
        if family in ("block", "dblock"):
            self._method_func = FastNaiveKernels(nb, t_len, beta)
        if family == "dblock":
            d = spec["d"]
            self._block = FastNaiveKernels(nb, t_len // d, beta)
            self._last_block = FastNaiveKernels(nb, t_len - d * (t_len // d), beta)
            self._to_input_current = nn.Linear(n_in, n_out)
        else:
            self._to_current = nn.Linear(n_in, n_out)
        if family in ("dblock", "standard_dblock_repo"):
            self._to_recurrent_current = nn.Linear(n_out, n_out)

    def kernel_modules(self):
        return [m for m in (getattr(self, n, None) for n in ("_method_func", "_block", "_last_block"))
                if m is not None]


class ReferenceModel(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self._layers = nn.ModuleList()
        n_in = spec["n_in"]
        for n in spec["hidden"]:
            self._layers.append(ReferenceLayer(n_in, n, spec, 0.9))
            n_in = n
        self._readout_layer = ReferenceLayer(n_in, spec["n_out"], spec, 0.95)


def strict_load(task):
    spec = task["model"]
    if task["format"] == "torch":
        state = load_torch(task["file"])
        metadata = state.pop(METADATA_KEY)
    else:
        state, meta = read_safetensors_by_hand(task["file"])
        metadata = meta[METADATA_KEY]
    check_metadata(metadata, {"layout": "reference"}, "strict_load")
    model = ReferenceModel(spec)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    result = model.load_state_dict(state, strict=True)
    check(not result.missing_keys and not result.unexpected_keys, f"strict load: {result}")
    loaded = model.state_dict()
    expected = read_expected(task["expected"])
    for name, e in expected.items():
        check(torch.equal(loaded[name], e), f"strict_load: values of {name} differ")
    kernel_count = 0
    for layer in list(model._layers) + [model._readout_layer]:
        beta = torch.clamp(layer._beta, 0, 1).detach()
        for kernels in layer.kernel_modules():
            kernel_count += 1
            check(torch.allclose(kernels._beta_kernel, kernels.beta_kernel(beta), rtol=1e-6, atol=1e-7),
                  "a _beta_kernel is not clamp(beta) ** _beta_exp")
    for name, value in fresh.items():
        if name.split(".")[-1] in ("_beta_ident_base", "_beta_exp", "_phi_kernel"):
            check(torch.equal(loaded[name], value), f"strict_load: {name} differs from the reference's own value")
    check(kernel_count == task["kernel_sets"], f"{kernel_count} kernel modules, expected {task['kernel_sets']}")
    if "resave_to" in task:
        # What a Python user does next: save the module's weights as a plain dict, with snn's metadata kept.
        resaved = dict(model.state_dict())
        resaved[METADATA_KEY] = metadata
        torch.save(resaved, task["resave_to"])
    return f"strict load of {len(state)} entries into {spec['family']}"


# ----- files for Java --------------------------------------------------------------------------------------

def random_like(shapes, seed, float64_betas=False):
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in shapes.items():
        if name.endswith("beta"):
            t = 0.5 + 0.5 * torch.rand(shape, generator=g)
            out[name] = t.double() if float64_betas else t
        else:
            out[name] = torch.randn(shape, generator=g)
    return out


def as_views(tensors):
    """The same values as views: matrices transposed with an offset, vectors strided slices of one shared storage."""
    vectors = {k: v for k, v in tensors.items() if v.dim() == 1}
    shared = torch.zeros(2 * sum(v.numel() for v in vectors.values()) + 1)
    out, position = {}, 1
    for name, t in tensors.items():
        if t.dim() == 2:
            a, b = t.shape
            base = torch.zeros(b, a + 1)
            view = base[:, 1:].t()
            view.copy_(t)
            check(not view.is_contiguous() and view.storage_offset() == 1, "a strided view")
            out[name] = view
        elif t.dim() == 1:
            n = t.numel()
            view = shared[position:position + 2 * n:2]
            view.copy_(t)
            out[name] = view
            position += 2 * n
        else:
            out[name] = t
    return out


def module_with(tensors):
    """An nn.Module tree whose parameters are ``tensors`` under their dotted names, as a user's model would be."""
    root = nn.Module()
    for name, t in tensors.items():
        *path, leaf = name.split(".")
        module = root
        for part in path:
            if part not in module._modules:
                module.add_module(part, nn.Module())
            module = module._modules[part]
        module.register_parameter(leaf, nn.Parameter(t.clone().float()))
    return root


class Malicious:
    """Unpickling this runs a shell command: what a weights_only loader must refuse."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os
        return os.system, (f"touch {self.marker}",)


def write(task):
    kind, path = task["kind"], task["file"]
    if kind == "malicious":
        torch.save({"hidden.0.input.weight": Malicious(task["marker"])}, path)
        try:
            torch.load(path, weights_only=True)
        except Exception as e:  # what PyTorch's own safe loader says
            return f"torch.load(weights_only=True) refuses it too: {str(e).splitlines()[0]}"
        raise Failure("torch.load(weights_only=True) accepted the malicious pickle")
    if kind == "reference_module_nested":
        torch.manual_seed(task["seed"])
        model = ReferenceModel(task["model"])
        state = model.state_dict()
        check(type(state) is collections.OrderedDict and hasattr(state, "_metadata"), "state_dict() with _metadata")
        torch.save({"model": state, "step": 10}, path)
        write_expected(task["expected_out"], state)
        return f"wrote {{'model': model.state_dict()}} of a reference module, {len(state)} entries"
    if kind == "reference_module":
        torch.manual_seed(task["seed"])
        model = ReferenceModel(task["model"])
        with torch.no_grad():
            for layer in list(model._layers) + [model._readout_layer]:
                layer._beta.uniform_(0.5, 1.0)  # as if trained: values differ from the init
                projection = layer._to_input_current if hasattr(layer, "_to_input_current") else layer._to_current
                projection.bias.normal_()
        state = dict(model.state_dict())
        torch.save(state, path)
        write_expected(task["expected_out"], state)
        return f"wrote dict(model.state_dict()) with {len(state)} entries"
    tensors = random_like(task["shapes"], task["seed"], float64_betas=(kind == "plain"))
    write_expected(task["expected_out"], tensors)
    if kind == "plain":
        torch.save(tensors, path)
    elif kind == "views":
        torch.save(as_views(tensors), path)
    elif kind == "ordered_dict":
        torch.save(collections.OrderedDict(tensors), path)
    elif kind == "state_dict":
        state = module_with(tensors).state_dict()
        check(type(state) is collections.OrderedDict and "hidden" in state._metadata, "state_dict() with _metadata")
        torch.save(state, path)
    elif kind == "nested_state_dict":
        module = module_with(tensors)
        optimizer = torch.optim.Adam(module.parameters())
        sum(p.sum() for p in module.parameters()).backward()
        optimizer.step()
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(tensors[name])
        torch.save({"state_dict": module.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, path)
    elif kind == "nested_model":
        torch.save({"model": module_with(tensors).state_dict(), "step": 10, "note": "a training checkpoint"}, path)
    elif kind == "wrong_name":
        state = module_with(tensors).state_dict()
        state["hidden.0.input.wieght"] = state.pop("hidden.0.input.weight")
        torch.save(state, path)
    elif kind == "wrong_shape":
        state = module_with(tensors).state_dict()
        state["readout.input.weight"] = torch.zeros(2, 2)
        torch.save(state, path)
    elif kind == "nested":
        torch.save({"state_dict": tensors, "epoch": 3}, path)
    elif kind == "legacy":
        torch.save(tensors, path, _use_new_zipfile_serialization=False)
    elif kind == "safetensors":
        write_safetensors_by_hand(path, tensors, {"origin": "python"})
    else:
        raise Failure(f"unknown kind {kind}")
    return f"wrote {kind} with {len(tensors)} tensors"


def check_torch(task):
    state = load_torch(task["file"])
    check(METADATA_KEY in state, f"no {METADATA_KEY} entry")
    check_metadata(state.pop(METADATA_KEY), task["metadata"], "check_torch")
    compare_tensors(state, read_expected(task["expected"]), "check_torch")
    return f"torch.load(weights_only=True): {len(state)} tensors"


def check_safetensors(task):
    tensors, metadata = read_safetensors_by_hand(task["file"])
    check(METADATA_KEY in metadata, f"no {METADATA_KEY} in __metadata__")
    check_metadata(metadata[METADATA_KEY], task["metadata"], "check_safetensors")
    expected = read_expected(task["expected"])
    compare_tensors(tensors, expected, "check_safetensors (by hand)")
    try:
        import safetensors.torch
    except ImportError:
        return f"parsed by hand: {len(tensors)} tensors (safetensors package not installed)"
    compare_tensors(safetensors.torch.load_file(task["file"]), expected, "check_safetensors (safetensors package)")
    return f"parsed by hand and by the safetensors package: {len(tensors)} tensors"


# ----- snn_pytorch, the repository's runtime --------------------------------------------------------------------

def read_json_file(path):
    with open(path) as f:
        return json.load(f)


def runtime_tensor(node):
    return torch.tensor(node["data"], dtype=torch.float32).reshape(node["shape"])


def runtime_package(task):
    if task["python_path"] not in sys.path:
        sys.path.insert(0, task["python_path"])
    import snn_pytorch
    return snn_pytorch


def runtime_compare(out, expected, rtol, what):
    logits = runtime_tensor(expected["logits"])
    check(list(out.logits.shape) == list(logits.shape), f"{what}: logits shape {list(out.logits.shape)}")
    scale = logits.abs().amax(dim=1, keepdim=True).clamp_min(1e-30)
    worst = float(((out.logits.detach() - logits).abs() / scale).max())
    check(worst <= rtol, f"{what}: logits differ by {worst:.3g} of the sample's largest logit (allowed {rtol})")
    spikes = [runtime_tensor(s) for s in expected["spikes"]]
    check(len(out.spikes) == len(spikes), f"{what}: {len(out.spikes)} hidden layers, snn has {len(spikes)}")
    counts = []
    for i, (a, e) in enumerate(zip(out.spikes, spikes)):
        check(list(a.shape) == list(e.shape), f"{what}: layer {i} spikes shape {list(a.shape)}, snn {list(e.shape)}")
        differ = int((a.detach() != e).sum())
        check(differ == 0, f"{what}: layer {i}: {differ} of {e.numel()} spikes differ from snn's")
        counts.append(int(e.sum()))
    return worst, counts


def runtime_backward(net, x):
    net.zero_grad()
    out = net(x)
    target = torch.arange(out.logits.shape[0]) % out.logits.shape[1]
    torch.nn.functional.cross_entropy(out.logits, target).backward()
    for name, p in net.named_parameters():
        if p.requires_grad:
            check(p.grad is not None and bool(torch.isfinite(p.grad).all()), f"gradient of {name} is not finite")
    check(float(net.hidden[0].input.weight.grad.abs().sum()) > 0, "the first layer's weights get no gradient")


def runtime_run(task):
    snn = runtime_package(task)
    net = snn.load(task["file"])
    x = runtime_tensor(read_json_file(task["input"]))
    worst, counts = runtime_compare(net(x), read_json_file(task["expected"]), task["rtol"], "run")
    runtime_backward(net, x)
    return f"logits within {worst:.2g} (relative), spikes identical {counts}, finite gradients"


def runtime_safetensors(task):
    snn = runtime_package(task)
    try:
        import safetensors  # noqa: F401
    except ImportError:
        try:
            snn.load(task["file"])
        except snn.SnnFileError as e:
            check(task["file"] in str(e) and "safetensors package" in str(e), f"unclear message: {e}")
            return f"safetensors not installed: {e}"
        raise Failure("loading a safetensors file without the package did not fail")
    net = snn.load(task["file"])
    x = runtime_tensor(read_json_file(task["input"]))
    worst, counts = runtime_compare(net(x), read_json_file(task["expected"]), task["rtol"], "safetensors")
    return f"logits within {worst:.2g}, spikes identical {counts}"


def runtime_finetune(task):
    snn = runtime_package(task)
    net = snn.load(task["file"])
    x = runtime_tensor(read_json_file(task["input"]))
    before = net(x).logits.detach().clone()
    optimiser = torch.optim.Adam(net.parameters(), lr=0.05)
    target = torch.arange(x.shape[0]) % net.classes
    for _ in range(3):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(net(x).logits, target).backward()
        optimiser.step()
    with torch.no_grad():
        after = net(x).logits
    check(not torch.equal(before, after), "fine-tuning changed nothing")
    snn.save(net, task["out"])
    torch.save(net.state_dict(), task["state_dict_out"])  # the usual PyTorch file: an OrderedDict, no metadata
    with open(task["logits_out"], "w") as f:
        json.dump({"logits": {"shape": list(after.shape), "data": after.double().flatten().tolist()}}, f)
    return f"3 Adam steps, saved {task['out']}"


TASKS = {"check_torch": check_torch, "check_safetensors": check_safetensors, "strict_load": strict_load,
         "write": write, "runtime_run": runtime_run, "runtime_safetensors": runtime_safetensors,
         "runtime_finetune": runtime_finetune}


def main():
    with open(sys.argv[1]) as f:
        tasks = json.load(f)
    failures = 0
    print(f"torch {torch.__version__}")
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
