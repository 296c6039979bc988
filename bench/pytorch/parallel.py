"""The 2-D data-parallel mesh [dp_replicate, dp_shard] on gloo, applied as torchtitan does.

(R,1): replicate (the fully_shard-based one torchtitan integrated in 2025; else the older
DDP-based composable replicate; else DistributedDataParallel). (1,S): fully_shard. (R,S): HSDP,
fully_shard on the 2-D mesh. Units as torchtitan's parallelize: tok_embeddings, each block,
[norm, output] (kept gathered after forward: backward needs them at once), then the root.
Everything stays float32 (meshtop trains in float32; torchtitan's bf16 params are a GPU choice).
"""
import os
import sys

import torch
import torch.distributed as dist
from torch import nn


def parse_mesh(text: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and int(p) >= 1 for p in parts):
        sys.exit(f"--mesh must be RxS with positive integers (e.g. 2x1), got {text!r}")
    return int(parts[0]), int(parts[1])


def init(mesh: tuple[int, int]) -> tuple[int, int]:
    """Starts gloo when torchrun launched us; returns (rank, world size)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if mesh[0] * mesh[1] != world:
        sys.exit(f"--mesh {mesh[0]}x{mesh[1]} needs {mesh[0] * mesh[1]} ranks, "
                 f"but WORLD_SIZE is {world} (launch with torchrun --nproc-per-node)")
    if world == 1:
        return 0, 1
    dist.init_process_group("gloo")
    return dist.get_rank(), world


def _replicate_fn():
    try:
        from torch.distributed._composable.replicate_with_fsdp import replicate
        return replicate, "replicate (torch.distributed._composable.replicate_with_fsdp)"
    except ImportError:
        pass
    try:
        from torch.distributed._composable.replicate import replicate
        return replicate, "replicate (torch.distributed._composable.replicate, DDP-based)"
    except ImportError:
        return None, "DistributedDataParallel (no composable replicate in this torch)"


def _units(model: nn.Module) -> list:
    return [model.tok_embeddings, *model.layers.values()]


def apply(model: nn.Module, mesh: tuple[int, int]) -> tuple[nn.Module, str]:
    """Wraps the model for the mesh; returns it and a line saying what was applied."""
    r, s = mesh
    if r * s == 1:
        return model, "single process (no data parallelism)"
    from torch.distributed.device_mesh import init_device_mesh

    world_mesh = init_device_mesh("cpu", (r, s), mesh_dim_names=("dp_replicate", "dp_shard"))
    if s == 1:
        replicate, what = _replicate_fn()
        dp_mesh = world_mesh["dp_replicate"]
        if replicate is None:
            from torch.nn.parallel import DistributedDataParallel
            return DistributedDataParallel(model, process_group=dp_mesh.get_group()), what
        if "replicate_with_fsdp" in what:
            for unit in _units(model):
                replicate(unit, mesh=dp_mesh)
            replicate([model.norm, model.output], mesh=dp_mesh)
            replicate(model, mesh=dp_mesh)
        else:
            replicate(model, device_mesh=dp_mesh, bucket_cap_mb=100)
        return model, what
    from torch.distributed.fsdp import fully_shard

    dp_mesh = world_mesh["dp_shard"] if r == 1 else world_mesh["dp_replicate", "dp_shard"]
    for unit in _units(model):
        fully_shard(unit, mesh=dp_mesh, reshard_after_forward=True)
    fully_shard([model.norm, model.output], mesh=dp_mesh, reshard_after_forward=False)
    fully_shard(model, mesh=dp_mesh)
    what = "fully_shard (FSDP2)" if r == 1 else "HSDP (fully_shard on the 2-D mesh)"
    return model, what


def full_value(t: torch.Tensor) -> float:
    """A scalar that may be a DTensor (the grad norm under FSDP) as a Python float."""
    return float(t.full_tensor() if hasattr(t, "full_tensor") else t)


def mean_over_ranks(value: float, world: int) -> float:
    if world == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(t)
    return float(t[0]) / world


def max_over_ranks(value: float, world: int) -> float:
    if world == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return float(t[0])


def gather(value: float, world: int) -> list[float]:
    if world == 1:
        return [value]
    out = [torch.zeros(1, dtype=torch.float64) for _ in range(world)]
    dist.all_gather(out, torch.tensor([value], dtype=torch.float64))
    return [float(t[0]) for t in out]
