"""PyTorch reference for meshtop's speed targets: the llama3 debugmodel trained as torchtitan does.

One process:  python bench/pytorch/reference.py --threads 1
Distributed:  torchrun --standalone --nproc-per-node 2 bench/pytorch/reference.py --mesh 2x1
Prints loss, step time and tokens/s per step; at the end the mean tokens/s over the steps after
the 2 warm-up steps, and every rank's peak RSS. bench/pytorch/run.sh runs the whole set.
"""
import argparse
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import parallel  # noqa: E402
from data import BatchPlan, load_tokens  # noqa: E402
from model import ModelArgs, Transformer, cross_entropy  # noqa: E402

# The project's shipped copies of the shared corpus and tokenizer.
REPO_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data")

WARMUP_STEPS = 2  # torchtitan's LR warm-up, and the steps left out of the mean


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--local-batch-size", type=int, default=8)
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--mesh", default="1x1", help="RxS = [dp_replicate, dp_shard] (default 1x1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", default=os.environ.get("TORCHREF_DATA", os.path.join(REPO_DATA, "tinyshakespeare.txt")))
    p.add_argument("--tokenizer", default=os.environ.get("TORCHREF_TOKENIZER", os.path.join(REPO_DATA, "tokenizer.json")))
    p.add_argument("--gemm-probe", action="store_true", help="time torch.mm at the model's shapes first")
    a = p.parse_args()
    for name in ("seq_len", "local_batch_size", "steps", "threads"):
        if getattr(a, name) < 1:
            sys.exit(f"--{name.replace('_', '-')} must be at least 1, got {getattr(a, name)}")
    if a.seq_len > ModelArgs.max_seq_len:
        sys.exit(f"--seq-len {a.seq_len} exceeds the model's max_seq_len {ModelArgs.max_seq_len}")
    return a


def lr_factor(step: int, total: int) -> float:
    """torchtitan's warm-up then linear decay to 0 (decay_ratio 0.8) at 0-based step `step`."""
    decay = min(round(total * 0.8), total - WARMUP_STEPS)
    stable = total + 1 - WARMUP_STEPS - decay
    if step < WARMUP_STEPS:
        return (step + 1) / WARMUP_STEPS
    if step < WARMUP_STEPS + stable:
        return 1.0
    return 1.0 - (step + 1 - WARMUP_STEPS - stable) / decay


def make_optimizer(model):
    kw = dict(lr=8e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    try:  # torchtitan's default implementation is the fused one
        return torch.optim.AdamW(model.parameters(), fused=True, **kw), "fused"
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(model.parameters(), foreach=True, **kw), "foreach"


def gemm_probe(tokens: int):
    """GFLOP/s of torch.mm at the forward shapes of the debugmodel (w1 and output)."""
    for n, k in ((768, 256), (2000, 256)):
        a, b = torch.randn(tokens, k), torch.randn(k, n)
        torch.mm(a, b)
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 0.3:
            torch.mm(a, b)
            reps += 1
        gf = 2 * tokens * n * k * reps / (time.perf_counter() - t0) / 1e9
        print(f"torch.mm {tokens}x{k} @ {k}x{n}: {gf:.1f} GFLOP/s", flush=True)


def blas_line() -> str:
    cfg = torch.__config__.show()
    keep = [l.strip().lstrip("- ") for l in cfg.splitlines() if any(w in l for w in ("Math Kernel", "MKL-DNN", "oneDNN", "OpenBLAS", "CPU capability"))]
    return "; ".join(keep)


def main():
    a = parse_args()
    mesh = parallel.parse_mesh(a.mesh)
    rank, world = parallel.init(mesh)
    torch.set_num_threads(a.threads)
    say = print if rank == 0 else (lambda *_, **__: None)
    say(f"torch {torch.__version__}; {blas_line()}")
    say(f"threads per rank: {torch.get_num_threads()}; mesh [dp_replicate, dp_shard] = [{mesh[0]}, {mesh[1]}], {world} rank(s)")
    if a.gemm_probe and rank == 0:
        gemm_probe(a.local_batch_size * a.seq_len)

    tokens = load_tokens(a.data, a.tokenizer)
    plan = BatchPlan(len(tokens), a.seq_len, a.local_batch_size, world)
    torch.manual_seed(a.seed)  # the same seed on every rank: identical weights before sharding
    model = Transformer(ModelArgs())
    model.init_weights()
    n_params = sum(p.numel() for p in model.parameters())
    say(f"Model llama3 debugmodel size: {n_params:,} total parameters")
    model, applied = parallel.apply(model, mesh)
    say(f"data parallelism: {applied}")
    optimizer, impl = make_optimizer(model)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, a.steps))
    say(f"AdamW ({impl}); {len(tokens):,} tokens; local batch {a.local_batch_size}, "
        f"global batch {plan.sequences_per_step}, seq_len {a.seq_len}, {a.steps} steps (warm-up {WARMUP_STEPS})")

    rank_tokens = a.local_batch_size * a.seq_len
    rates = []
    for step in range(a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        inputs, labels = plan.batch(tokens, step, rank)
        loss = cross_entropy(model(inputs), labels)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0, foreach=True)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        local_loss = loss.item()
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        # cpu is this process's CPU time (rank 0's): at 1 thread, well under the wall time means
        # the core was shared with something else. Outside the timed step: the slowest rank's
        # time and the global mean loss.
        dt = parallel.max_over_ranks(dt, world)
        mean_loss = parallel.mean_over_ranks(local_loss, world)
        per_rank, total = rank_tokens / dt, rank_tokens * world / dt
        if step >= WARMUP_STEPS:
            rates.append((per_rank, total))
        say(f"step: {step + 1:2}  loss: {mean_loss:8.5f}  grad_norm: {parallel.full_value(grad_norm):7.4f}  "
            f"time: {dt * 1000:7.1f} ms  cpu: {cpu * 1000:7.1f} ms  tok/s per rank: {per_rank:7,.0f}  in all: {total:7,.0f}", flush=True)

    rss_mib = parallel.gather(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, world)
    if rates:
        say(f"mean tokens/s over steps {WARMUP_STEPS + 1}..{a.steps}: "
            f"per rank {statistics.mean(r for r, _ in rates):,.0f}, in all {statistics.mean(t for _, t in rates):,.0f}")
        # The fastest step: on a shared machine, the closest to what an idle one would give.
        say(f"best step of {WARMUP_STEPS + 1}..{a.steps}: per rank {max(r for r, _ in rates):,.0f}, "
            f"in all {max(t for _, t in rates):,.0f}")
    say("peak RSS per rank (MiB): " + ", ".join(f"{m:.0f}" for m in rss_mib))
    if world > 1:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
