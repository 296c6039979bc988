"""Tokens of a text file and the batch contract of issue 4 (docs/data.md).

Sequence i of 0-based step n starts at o = ((n*G + i)*T) mod (count - T - 1); rank d takes the
sequences d*B ..< (d+1)*B. So every mesh reads the same G sequences a step as one process would.
"""
import sys

import torch


def load_tokens(text_path: str, tokenizer_path: str) -> torch.Tensor:
    """The whole file tokenized at once, no BOS/EOS added (as meshtop's TokenSource for .txt)."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(tokenizer_path)
    except Exception as e:
        sys.exit(f"cannot read tokenizer {tokenizer_path}: {e}")
    try:
        with open(text_path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        sys.exit(f"cannot read data file {text_path}: {e}")
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    return torch.tensor(ids, dtype=torch.long)


class BatchPlan:
    def __init__(self, count: int, seq_len: int, local_batch: int, dp_degree: int):
        if count <= seq_len + 1:
            sys.exit(f"the data has {count} tokens; --seq-len {seq_len} needs at least {seq_len + 2}")
        self.seq_len, self.local_batch = seq_len, local_batch
        self.sequences_per_step = local_batch * dp_degree  # G (no gradient accumulation here)
        self.modulus = count - seq_len - 1

    def offset(self, step: int, sequence: int) -> int:
        # Python ints are exact, so no step number overflows.
        return ((step * self.sequences_per_step + sequence) * self.seq_len) % self.modulus

    def batch(self, tokens: torch.Tensor, step: int, rank: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Rank `rank`'s inputs and labels of `step`: two [B, T] tensors of token ids."""
        first = rank * self.local_batch
        starts = [self.offset(step, i) for i in range(first, first + self.local_batch)]
        windows = torch.stack([tokens[o: o + self.seq_len + 1] for o in starts])
        return windows[:, :-1].contiguous(), windows[:, 1:].contiguous()
