"""Test-only PyTorch reference of the LLM's token embedding: a standard torch.nn.Embedding
holding `model.embed_tokens.weight` of a safetensors checkpoint, applied to `input_ids`.

Usage: embedding_ref.py WEIGHTS.safetensors INPUTS.safetensors OUT.safetensors
INPUTS holds `input_ids` int32 [1, N]; OUT receives `embeddings` float32 [1, N, hidden]."""
import sys

import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file


def main():
    table = load_file(sys.argv[1])["model.embed_tokens.weight"].float()
    ids = load_file(sys.argv[2])["input_ids"].long()
    emb = nn.Embedding(table.shape[0], table.shape[1])
    with torch.no_grad():
        emb.weight.copy_(table)
        out = emb(ids)
    save_file({"embeddings": out.contiguous()}, sys.argv[3])


if __name__ == "__main__":
    main()
