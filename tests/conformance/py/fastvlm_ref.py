"""Test-only PyTorch reference of FastVLM (inference form), written from the published
architecture with standard torch modules. It loads the same safetensors our toolkit writes and
prints the outputs as JSON so the TypeScript tests can compare them with our interpreter.

Usage: fastvlm_ref.py CONFIG.json WEIGHTS.safetensors INPUTS.safetensors OUT.safetensors
CONFIG holds {"vision": {...}, "llm": {...}, "resolution": R}; INPUTS holds `images`
[1,3,R,R] float32 and `input_ids` [1,S] int32 (either may be absent); OUT receives
`image_features`, `logits` (last position), `all_logits` [S, vocab] (every position),
`key_cache`, `value_cache` (float32)."""
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

VT = "model.vision_tower.vision_tower.model."


class ConvAct(nn.Module):
    """conv with bias, optional squeeze-excite, then exact GELU."""

    def __init__(self, cin, cout, k, stride, groups, se=False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, padding=k // 2, groups=groups, bias=True)
        self.se = SqueezeExcite(cout) if se else None

    def forward(self, x):
        x = self.conv(x)
        if self.se is not None:
            x = self.se(x)
        return F.gelu(x)


class SqueezeExcite(nn.Module):
    def __init__(self, c, ratio=0.0625):
        super().__init__()
        r = int(c * ratio)
        self.reduce = nn.Conv2d(c, r, 1, bias=True)
        self.expand = nn.Conv2d(r, c, 1, bias=True)

    def forward(self, x):
        s = x.mean(dim=(2, 3), keepdim=True)
        s = torch.sigmoid(self.expand(F.relu(self.reduce(s))))
        return x * s


class ConvFFN(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 7, 1, padding=3, groups=c, bias=False)
        self.bn = nn.BatchNorm2d(c)
        self.fc1 = nn.Conv2d(c, hidden, 1, bias=True)
        self.fc2 = nn.Conv2d(hidden, c, 1, bias=True)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(self.bn(self.dw(x)))))


class RepMixerBlock(nn.Module):
    def __init__(self, c, ratio):
        super().__init__()
        self.mixer = nn.Conv2d(c, c, 3, 1, padding=1, groups=c, bias=True)
        self.ffn = ConvFFN(c, c * ratio)
        self.ls = nn.Parameter(torch.zeros(c, 1, 1))

    def forward(self, x):
        x = self.mixer(x)
        return x + self.ls * self.ffn(x)


class AttentionBlock(nn.Module):
    def __init__(self, c, ratio, head_dim):
        super().__init__()
        self.norm = nn.LayerNorm(c, eps=1e-5)
        self.heads = c // head_dim
        self.qkv = nn.Linear(c, 3 * c, bias=False)
        self.proj = nn.Linear(c, c, bias=True)
        self.ffn = ConvFFN(c, c * ratio)
        self.ls1 = nn.Parameter(torch.zeros(c, 1, 1))
        self.ls2 = nn.Parameter(torch.zeros(c, 1, 1))

    def mhsa(self, x):
        b, c, h, w = x.shape
        t = x.flatten(2).transpose(1, 2)  # (B, N, C)
        qkv = self.qkv(t).reshape(b, h * w, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        o = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        o = self.proj(o.transpose(1, 2).reshape(b, h * w, c))
        return o.transpose(1, 2).reshape(b, c, h, w)

    def forward(self, x):
        n = self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = x + self.ls1 * self.mhsa(n)
        return x + self.ls2 * self.ffn(x)


class FastViTHD(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        w, d, r = cfg["widths"], cfg["depths"], cfg["mlp_ratio"]
        self.stem = nn.ModuleList([ConvAct(3, w[0], 3, 2, 1), ConvAct(w[0], w[0], 3, 2, w[0]), ConvAct(w[0], w[0], 1, 1, 1)])
        self.stages = nn.ModuleList()
        self.downs = nn.ModuleList()
        self.cpes = nn.ModuleDict()
        for i in range(len(w)):
            if i > 0:
                self.downs.append(nn.ModuleList([ConvAct(w[i - 1], w[i], 7, 2, w[i - 1]), ConvAct(w[i], w[i], 1, 1, 1)]))
            attn = cfg["stage_types"][i] == "attention"
            if attn:
                self.cpes[str(i)] = nn.Conv2d(w[i], w[i], 7, 1, padding=3, groups=w[i], bias=True)
            self.stages.append(nn.ModuleList([AttentionBlock(w[i], r, cfg["head_dim"]) if attn else RepMixerBlock(w[i], r) for _ in range(d[i])]))
        self.conv_exp = ConvAct(w[-1], cfg["out_channels"], 3, 1, w[-1], se=True)

    def forward(self, x):
        for m in self.stem:
            x = m(x)
        for i, blocks in enumerate(self.stages):
            if i > 0:
                for m in self.downs[i - 1]:
                    x = m(x)
            if str(i) in self.cpes:
                x = self.cpes[str(i)](x)
            for b in blocks:
                x = b(x)
        x = self.conv_exp(x)
        return x.flatten(2).transpose(1, 2)

    def load(self, sd):
        """Maps checkpoint names (published layout) to this module's tensors."""
        m = {}

        def conv(dst, src):
            m[dst + ".weight"] = src + ".weight"
            if dst + ".bias" in own:
                m[dst + ".bias"] = src + ".bias"

        own = dict(self.state_dict())
        for k in range(3):
            conv(f"stem.{k}.conv", f"{VT}patch_embed.{k}.reparam_conv")
        net = [0, 2, 4, 7, 10]
        down = [1, 3, 5, 8]
        cpe = {3: 6, 4: 9}
        for i, blocks in enumerate(self.stages):
            if i > 0:
                conv(f"downs.{i - 1}.0.conv", f"{VT}network.{down[i - 1]}.proj.0.lkb_reparam")
                conv(f"downs.{i - 1}.1.conv", f"{VT}network.{down[i - 1]}.proj.1.reparam_conv")
            if str(i) in self.cpes:
                conv(f"cpes.{i}", f"{VT}network.{cpe[i]}.reparam_conv")
            for j, b in enumerate(blocks):
                src = f"{VT}network.{net[i]}.{j}"
                dst = f"stages.{i}.{j}"
                conv(f"{dst}.ffn.dw", f"{src}.convffn.conv.conv")
                for p in ["weight", "bias", "running_mean", "running_var"]:
                    m[f"{dst}.ffn.bn.{p}"] = f"{src}.convffn.conv.bn.{p}"
                conv(f"{dst}.ffn.fc1", f"{src}.convffn.fc1")
                conv(f"{dst}.ffn.fc2", f"{src}.convffn.fc2")
                if isinstance(b, AttentionBlock):
                    m[f"{dst}.norm.weight"] = f"{src}.norm.weight"
                    m[f"{dst}.norm.bias"] = f"{src}.norm.bias"
                    m[f"{dst}.qkv.weight"] = f"{src}.token_mixer.qkv.weight"
                    conv(f"{dst}.proj", f"{src}.token_mixer.proj")
                    m[f"{dst}.ls1"] = f"{src}.layer_scale_1"
                    m[f"{dst}.ls2"] = f"{src}.layer_scale_2"
                else:
                    conv(f"{dst}.mixer", f"{src}.token_mixer.reparam_conv")
                    m[f"{dst}.ls"] = f"{src}.layer_scale"
        conv("conv_exp.conv", f"{VT}conv_exp.reparam_conv")
        conv("conv_exp.se.reduce", f"{VT}conv_exp.se.reduce")
        conv("conv_exp.se.expand", f"{VT}conv_exp.se.expand")
        missing = [k for k in own if k.endswith("num_batches_tracked") is False and k not in m]
        if missing:
            raise KeyError(f"reference has no mapping for {missing}")
        new = {}
        for dst, src in m.items():
            t = sd[src].float()
            new[dst] = t.reshape(own[dst].shape)
        self.load_state_dict(new, strict=False)


class Projector(nn.Module):
    def __init__(self, cin, h):
        super().__init__()
        self.l0 = nn.Linear(cin, h)
        self.l2 = nn.Linear(h, h)

    def forward(self, x):
        return self.l2(F.gelu(self.l0(x)))


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat([-b, a], dim=-1)


class Qwen2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg

    def load(self, sd):
        self.sd = {k: v.float() for k, v in sd.items() if not k.startswith(VT) and not k.startswith("model.mm_projector")}

    def rope(self, positions):
        hd = self.cfg["head_dim"]
        inv = 1.0 / (self.cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        f = positions[:, None].double() * inv[None, :]
        emb = torch.cat([f, f], dim=-1)
        return emb.cos().float(), emb.sin().float()

    def forward(self, embeds):
        c, sd = self.cfg, self.sd
        s = embeds.shape[1]
        nh, kvh, hd = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        rms = lambda x, w: F.rms_norm(x, (x.shape[-1],), w, eps=c["rms_norm_eps"])
        cos, sin = self.rope(torch.arange(s))
        x = embeds
        ks, vs = [], []
        for i in range(c["num_hidden_layers"]):
            p = f"model.layers.{i}."
            h = rms(x, sd[p + "input_layernorm.weight"])
            q = F.linear(h, sd[p + "self_attn.q_proj.weight"], sd[p + "self_attn.q_proj.bias"]).view(1, s, nh, hd).transpose(1, 2)
            k = F.linear(h, sd[p + "self_attn.k_proj.weight"], sd[p + "self_attn.k_proj.bias"]).view(1, s, kvh, hd).transpose(1, 2)
            v = F.linear(h, sd[p + "self_attn.v_proj.weight"], sd[p + "self_attn.v_proj.bias"]).view(1, s, kvh, hd).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            ks.append(k[0])
            vs.append(v[0])
            rep = nh // kvh
            o = F.scaled_dot_product_attention(q, k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1), is_causal=True)
            x = x + F.linear(o.transpose(1, 2).reshape(1, s, nh * hd), sd[p + "self_attn.o_proj.weight"])
            h = rms(x, sd[p + "post_attention_layernorm.weight"])
            g = F.linear(h, sd[p + "mlp.gate_proj.weight"])
            u = F.linear(h, sd[p + "mlp.up_proj.weight"])
            x = x + F.linear(F.silu(g) * u, sd[p + "mlp.down_proj.weight"])
        x = rms(x, sd["model.norm.weight"])
        head = sd["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else sd["lm_head.weight"]
        logits = F.linear(x[:, -1], head)
        return logits, torch.stack(ks), torch.stack(vs), F.linear(x[0], head)


def main():
    cfg = json.load(open(sys.argv[1]))
    sd = load_file(sys.argv[2])
    inputs = load_file(sys.argv[3])
    out = {}
    torch.manual_seed(0)
    with torch.no_grad():
        if "images" in inputs:
            vt = FastViTHD(cfg["vision"]).eval()
            vt.load(sd)
            proj = Projector(cfg["vision"]["out_channels"], cfg["llm"]["hidden_size"])
            proj.l0.weight.copy_(sd["model.mm_projector.0.weight"].float())
            proj.l0.bias.copy_(sd["model.mm_projector.0.bias"].float())
            proj.l2.weight.copy_(sd["model.mm_projector.2.weight"].float())
            proj.l2.bias.copy_(sd["model.mm_projector.2.bias"].float())
            out["image_features"] = proj(vt(inputs["images"].float())).contiguous()
        if "input_ids" in inputs:
            llm = Qwen2(cfg["llm"])
            llm.load(sd)
            emb = sd["model.embed_tokens.weight"].float()[inputs["input_ids"].long()[0]][None]
            logits, k, v, all_logits = llm(emb)
            out["logits"] = logits.contiguous()
            out["all_logits"] = all_logits.contiguous()
            out["key_cache"] = k.contiguous()
            out["value_cache"] = v.contiguous()
    save_file(out, sys.argv[4])


if __name__ == "__main__":
    main()
