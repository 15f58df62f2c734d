"""Reading and writing the files snn exports: ``torch.save`` archives (read with ``weights_only=True``) and
safetensors files, each holding a network's tensors under snn's names and the JSON string ``snn_metadata``
(``{"format": "snn", "format_version": 1, "layout": "snn", "inputs": ..., "classes": ..., "config": {...}}``)."""
import json
import os

import torch

from .network import SnnNetwork

METADATA_KEY = "snn_metadata"
FORMAT_VERSION = 1


class SnnFileError(ValueError):
    """A file that is not a network snn exported in a form this package runs; the message names the file."""


def read(path):
    """The tensors and the parsed ``snn_metadata`` of a file snn wrote: ``(state, metadata)``.

    ``state`` maps snn's parameter names to CPU tensors. Torch files are read with ``torch.load(...,
    weights_only=True)``, so nothing but tensors and plain containers is unpickled.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            head = f.read(9)
    except OSError as e:
        raise SnnFileError(f"{path}: cannot read: {e.strerror or e}") from e
    if head[:4] == b"PK\x03\x04":
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # torch's own message says what it refused
            raise SnnFileError(f"{path}: torch.load(weights_only=True) failed: {e}") from e
        if not isinstance(state, dict):
            raise SnnFileError(f"{path}: holds a {type(state).__name__}, not the dict of tensors snn exports")
        state = dict(state)
        text = state.pop(METADATA_KEY, None)
    elif len(head) == 9 and head[8:9] == b"{":
        try:
            from safetensors import safe_open
        except ImportError:
            raise SnnFileError(f"{path}: a safetensors file; reading it needs the safetensors package (pip install"
                               f" safetensors), or export the network with --format torch") from None
        with safe_open(path, framework="pt") as f:
            state = {k: f.get_tensor(k) for k in f.keys()}
            text = (f.metadata() or {}).get(METADATA_KEY)
    else:
        raise SnnFileError(f"{path}: neither a torch.save file nor a safetensors file")
    if not isinstance(text, str):
        raise SnnFileError(f"{path}: no '{METADATA_KEY}' string entry, so not a network snn exported (there is no"
                           f" config to build it from)")
    try:
        meta = json.loads(text)
    except ValueError as e:
        raise SnnFileError(f"{path}: '{METADATA_KEY}' is not valid JSON: {e}") from e
    if not isinstance(meta, dict) or meta.get("format") != "snn":
        raise SnnFileError(f"{path}: '{METADATA_KEY}' is not snn metadata")
    if meta.get("format_version") != FORMAT_VERSION:
        raise SnnFileError(f"{path}: snn format version {meta.get('format_version')!r}; this package reads version"
                           f" {FORMAT_VERSION}")
    if meta.get("layout") != "snn":
        raise SnnFileError(f"{path}: written in the {meta.get('layout')!r} layout; this package reads snn's own"
                           f" names: export with --layout snn")
    config = meta.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise SnnFileError(f"{path}: '{METADATA_KEY}' has no config.model")
    for key in ("inputs", "classes"):
        if not (isinstance(meta.get(key), int) and meta[key] >= 1):
            raise SnnFileError(f"{path}: '{METADATA_KEY}' has no positive integer '{key}'")
    return state, meta


def load(path, device="cpu"):
    """The network in ``path`` (any network snn exports in the snn layout) as an :class:`SnnNetwork` on ``device``.

    Raises :class:`SnnFileError` naming the file when it is not such a network, or when its tensors do not match
    the network its metadata describes (the entry is named).
    """
    state, meta = read(path)
    try:
        net = SnnNetwork(meta["config"]["model"], meta["inputs"], meta["classes"])
    except ValueError as e:
        raise SnnFileError(f"{os.fspath(path)}: its stored config: {e}") from e
    expected = net.state_dict()
    for name, tensor in state.items():
        if name not in expected:
            raise SnnFileError(f"{os.fspath(path)}: '{name}' is not a parameter of the network its config describes"
                               f" (which has {sorted(expected)})")
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise SnnFileError(f"{os.fspath(path)}: '{name}' has shape {list(tensor.shape)}, the network's"
                               f" parameter has {list(expected[name].shape)}")
    missing = sorted(set(expected) - set(state))
    if missing:
        raise SnnFileError(f"{os.fspath(path)}: no value for the network's parameter(s) {missing}")
    net.load_state_dict({k: v.to(torch.float32) for k, v in state.items()})
    net.metadata = meta
    return net.to(device)


def save(net, path):
    """Writes ``net`` (a network :func:`load` returned, fine-tuned or not) back for snn: ``torch.save`` of a plain
    dict of its tensors plus the ``snn_metadata`` it was loaded with, which ``snn eval --checkpoint`` and
    ``Checkpoints.load`` read. Written to a temporary file and renamed, so a reader never sees a half-written file."""
    meta = getattr(net, "metadata", None)
    if meta is None:
        raise SnnFileError("save: the network has no snn metadata (it was not made by snn_pytorch.load); load a"
                           " network snn exported, fine-tune it and save that")
    state = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in net.state_dict().items()}
    state[METADATA_KEY] = json.dumps(meta)
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
