"""The GPT training step of ``examples/gpt_torch_style.py`` written by hand in NumPy.

No autograd and no Tensor objects: every activation backward needs has a buffer allocated once,
every gradient is written in place into one flat buffer that the AdamW update then sweeps. This is
what the step costs in NumPy written for speed; minigrad's step divided by it is the price of the
engine itself (graph recording, one pass per op, temporaries). ``tests/test_bench_reference.py``
checks that it computes what minigrad computes.

With N = batch * block tokens, rows of width C, H heads of width D = C / H:

    x = wte[idx] + wpe                                   (embedding; wte is also the output layer)
    per block:  x = x + proj(attention(ln_1(x)))         x = x + fc2(gelu(fc1(ln_2(x))))
    loss = mean over tokens of -log softmax(ln_f(x) wte^T)[target]

and backward, the formulas of ``minigrad.ops.fused`` and of each linear layer (dW = dy^T x,
db = sum(dy), dx = dy W), then AdamW with PyTorch's defaults and the model's parameter groups.
"""

from __future__ import annotations

import math

import numpy as np

from minigrad.backend.numpy_backend import gelu_block

_BLOCK = 1 << 14  # elements per pass of the blocked elementwise loops (cache-sized temporaries)


class NumpyStep:
    """``step()`` runs forward, loss, backward and AdamW and returns the loss (before the update).

    ``params`` and ``grads`` map state-dict names to views into the flat buffers."""

    def __init__(self, cfg: dict, vocab: int, weights: dict, tokens, lr=6e-4, betas=(0.9, 0.95),
                 eps=1e-8, weight_decay=0.1, ln_eps=1e-5):  # fmt: skip
        self.L, self.H, C, T = cfg["n_layer"], cfg["n_head"], cfg["n_embd"], cfg["block_size"]
        B = tokens.shape[0]
        self.B, self.T, self.C, self.V = B, T, C, vocab
        N = B * T
        dtype = weights["transformer.wte.weight"].dtype
        self.dtype = dtype
        self.lr, self.betas, self.eps, self.weight_decay, self.ln_eps = (
            lr, betas, eps, weight_decay, ln_eps
        )  # fmt: skip
        self.t = 0

        # parameters: Linear weights of the blocks decay, the rest does not (configure_optimizers)
        decayed = [
            f"transformer.h.{i}.{name}.weight"
            for i in range(self.L)
            for name in ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")
        ]
        plain = ["transformer.wte.weight", "transformer.wpe.weight"]
        for i in range(self.L):
            plain += [
                f"transformer.h.{i}.{name}"
                for name in ("ln_1.weight", "ln_1.bias", "attn.c_attn.bias", "attn.c_proj.bias",
                             "ln_2.weight", "ln_2.bias", "mlp.c_fc.bias", "mlp.c_proj.bias")
            ]  # fmt: skip
        plain += ["transformer.ln_f.weight", "transformer.ln_f.bias"]
        sizes = [weights[n].size for n in decayed + plain]
        total = sum(sizes)
        self.n_decayed = sum(sizes[: len(decayed)])
        self.flat = np.empty(total, dtype)
        self.flat_grad = np.zeros(total, dtype)
        self.exp_avg = np.zeros(total, dtype)
        self.exp_avg_sq = np.zeros(total, dtype)
        self.scratch = np.empty(_BLOCK, dtype)
        self.params, self.grads = {}, {}
        offset = 0
        for name, size in zip(decayed + plain, sizes):
            shape = weights[name].shape
            self.params[name] = self.flat[offset : offset + size].reshape(shape)
            self.grads[name] = self.flat_grad[offset : offset + size].reshape(shape)
            self.params[name][...] = weights[name]
            offset += size

        idx, targets = tokens[:, :-1], tokens[:, 1:].reshape(-1)
        self.idx = idx
        self.token_onehot = np.zeros((N, vocab), dtype)  # embedding backward as one product
        self.token_onehot[np.arange(N), idx.reshape(-1)] = 1.0
        self.targets = targets
        self.causal = np.triu(np.full((T, T), -np.inf, dtype), 1)  # added to the scores
        self.ones_c = np.ones(C, dtype)

        def buf(*shape):
            return np.empty(shape, dtype)

        # activations kept for backward, one set per block
        self.acts = [
            dict(
                xhat1=buf(N, C),
                rstd1=buf(N, 1),
                h1=buf(N, C),
                qkv=buf(N, 3 * C),
                att=buf(B, self.H, T, T),
                y=buf(N, C),
                xhat2=buf(N, C),
                rstd2=buf(N, 1),
                h2=buf(N, C),
                f=buf(N, 4 * C),
                slope=buf(N, 4 * C),
                g=buf(N, 4 * C),
            )  # fmt: skip
            for _ in range(self.L)
        ]
        self.x = buf(N, C)
        self.xhatf, self.rstdf, self.hf = buf(N, C), buf(N, 1), buf(N, C)
        self.logits = buf(N, vocab)
        # backward scratch, shared by the blocks
        self.dx, self.dh, self.dy = buf(N, C), buf(N, C), buf(N, C)
        self.dqkv, self.df = buf(N, 3 * C), buf(N, 4 * C)
        self.datt = buf(B, self.H, T, T)

    # ---- the pieces --------------------------------------------------------------------------
    def _layer_norm(self, x, w, b, xhat, rstd, out) -> None:
        """xhat = (x - mean) * rstd, rstd = 1 / sqrt(var + eps);  out = xhat * w + b."""
        C = self.C
        np.matmul(x, self.ones_c[:, None] / C, out=rstd)  # the mean, for now
        np.subtract(x, rstd, out=xhat)
        np.einsum("ij,ij->i", xhat, xhat, out=rstd[:, 0])
        rstd /= C
        rstd += self.ln_eps
        np.sqrt(rstd, out=rstd)
        np.reciprocal(rstd, out=rstd)
        xhat *= rstd
        np.multiply(xhat, w, out=out)
        out += b

    def _layer_norm_backward(self, dout, xhat, rstd, w, dw, db, dx_acc) -> None:
        """dx_acc += rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dout * w;
        dw = sum(dout * xhat), db = sum(dout) over the rows."""
        C = self.C
        np.einsum("ij,ij->j", dout, xhat, out=dw)
        np.sum(dout, axis=0, out=db)
        dxhat = self.dh if dout is not self.dh else np.empty_like(dout)
        np.multiply(dout, w, out=dxhat)
        mean_d = dxhat @ (self.ones_c[:, None] / C)
        mean_dx = np.einsum("ij,ij->i", dxhat, xhat)[:, None] / C
        dxhat -= mean_d
        dxhat -= xhat * mean_dx
        dxhat *= rstd
        dx_acc += dxhat

    def _linear(self, x, name, out) -> None:
        """out = x W^T + b."""
        np.matmul(x, self.params[name + ".weight"].T, out=out)
        out += self.params[name + ".bias"]

    def _linear_backward(self, dout, x, name, dx) -> None:
        """dW = dout^T x, db = sum(dout); dx = dout W (into ``dx``, unless it is None)."""
        np.matmul(dout.T, x, out=self.grads[name + ".weight"])
        np.sum(dout, axis=0, out=self.grads[name + ".bias"])
        if dx is not None:
            np.matmul(dout, self.params[name + ".weight"], out=dx)

    def _gelu(self, f, slope, g) -> None:
        """g = f * Phi(f) and slope = dg/df = Phi(f) + f * phi(f), in cache-sized blocks."""
        f1, s1, g1 = f.reshape(-1), slope.reshape(-1), g.reshape(-1)
        for s in range(0, f1.size, _BLOCK):
            gelu_block(f1[s : s + _BLOCK], g1[s : s + _BLOCK], s1[s : s + _BLOCK])

    def _heads(self, a):
        """(N, C) -> (B, H, T, D) view."""
        return a.reshape(self.B, self.T, self.H, self.C // self.H).transpose(0, 2, 1, 3)

    def _attention(self, qkv, att, y) -> None:
        """att = softmax(q k^T / sqrt(D) + causal mask), y = att v (heads merged)."""
        C = self.C
        q, k, v = (self._heads(qkv[:, i * C : (i + 1) * C]) for i in range(3))
        np.matmul(q, k.swapaxes(-1, -2), out=att)
        att *= 1.0 / math.sqrt(C // self.H)
        att += self.causal
        att -= att.max(axis=-1, keepdims=True)
        np.exp(att, out=att)
        att /= att.sum(axis=-1, keepdims=True)
        self._heads(y)[...] = att @ v

    def _attention_backward(self, dy, qkv, att, dqkv) -> None:
        """dv = att^T dy, datt = dy v^T, ds = att * (datt - rowsum(datt * att)) / sqrt(D),
        dq = ds k, dk = ds^T q."""
        C = self.C
        q, k, v = (self._heads(qkv[:, i * C : (i + 1) * C]) for i in range(3))
        dq, dk, dv = (self._heads(dqkv[:, i * C : (i + 1) * C]) for i in range(3))
        dyh = self._heads(dy)
        dv[...] = att.swapaxes(-1, -2) @ dyh
        ds = self.datt
        np.matmul(dyh, v.swapaxes(-1, -2), out=ds)
        rows = np.einsum("bhij,bhij->bhi", ds, att)[..., None]
        ds -= rows
        ds *= att
        ds *= 1.0 / math.sqrt(C // self.H)
        dq[...] = ds @ k
        dk[...] = ds.swapaxes(-1, -2) @ q

    # ---- the step ----------------------------------------------------------------------------
    def forward_backward(self) -> float:
        """Loss, with every gradient written into ``grads``."""
        p, gr = self.params, self.grads
        N, C = self.B * self.T, self.C
        x = self.x
        wte = p["transformer.wte.weight"]
        np.take(wte, self.idx.reshape(-1), axis=0, out=x)
        x.reshape(self.B, self.T, C)[...] += p["transformer.wpe.weight"][: self.T]
        for i, a in enumerate(self.acts):
            pre = f"transformer.h.{i}."
            self._layer_norm(x, p[pre + "ln_1.weight"], p[pre + "ln_1.bias"],
                             a["xhat1"], a["rstd1"], a["h1"])  # fmt: skip
            self._linear(a["h1"], pre + "attn.c_attn", a["qkv"])
            self._attention(a["qkv"], a["att"], a["y"])
            self._linear(a["y"], pre + "attn.c_proj", self.dh)
            x += self.dh
            self._layer_norm(x, p[pre + "ln_2.weight"], p[pre + "ln_2.bias"],
                             a["xhat2"], a["rstd2"], a["h2"])  # fmt: skip
            self._linear(a["h2"], pre + "mlp.c_fc", a["f"])
            self._gelu(a["f"], a["slope"], a["g"])
            self._linear(a["g"], pre + "mlp.c_proj", self.dh)
            x += self.dh
        self._layer_norm(x, p["transformer.ln_f.weight"], p["transformer.ln_f.bias"],
                         self.xhatf, self.rstdf, self.hf)  # fmt: skip

        # loss: mean of logsumexp(logits) - logits[target]; dlogits = (softmax - onehot) / N
        logits = self.logits
        np.matmul(self.hf, wte.T, out=logits)
        logits -= logits.max(axis=1, keepdims=True)
        picked = logits[np.arange(N), self.targets]
        np.exp(logits, out=logits)
        sums = logits.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(sums[:, 0]) - picked))
        logits /= sums
        logits[np.arange(N), self.targets] -= 1.0
        logits *= 1.0 / N

        dx = self.dx
        np.matmul(logits.T, self.hf, out=gr["transformer.wte.weight"])
        dhf = self.dy
        np.matmul(logits, wte, out=dhf)
        dx[...] = 0.0
        self._layer_norm_backward(dhf, self.xhatf, self.rstdf, p["transformer.ln_f.weight"],
                                  gr["transformer.ln_f.weight"], gr["transformer.ln_f.bias"],
                                  dx)  # fmt: skip
        for i in reversed(range(self.L)):
            a, pre = self.acts[i], f"transformer.h.{i}."
            self._linear_backward(dx, a["g"], pre + "mlp.c_proj", self.df)
            self.df *= a["slope"]
            self._linear_backward(self.df, a["h2"], pre + "mlp.c_fc", self.dy)
            self._layer_norm_backward(self.dy, a["xhat2"], a["rstd2"], p[pre + "ln_2.weight"],
                                      gr[pre + "ln_2.weight"], gr[pre + "ln_2.bias"], dx)  # fmt: skip
            self._linear_backward(dx, a["y"], pre + "attn.c_proj", self.dy)
            self._attention_backward(self.dy, a["qkv"], a["att"], self.dqkv)
            self._linear_backward(self.dqkv, a["h1"], pre + "attn.c_attn", self.dy)
            self._layer_norm_backward(self.dy, a["xhat1"], a["rstd1"], p[pre + "ln_1.weight"],
                                      gr[pre + "ln_1.weight"], gr[pre + "ln_1.bias"], dx)  # fmt: skip
        gr["transformer.wte.weight"] += self.token_onehot.T @ dx
        np.sum(dx.reshape(self.B, self.T, C), axis=0, out=gr["transformer.wpe.weight"][: self.T])
        gr["transformer.wpe.weight"][self.T :] = 0.0
        return loss

    def update(self) -> None:
        """AdamW over the flat buffers, in cache-sized blocks:
        w *= 1 - lr wd (decayed part);  m += (1 - b1)(g - m);  v = b2 v + (1 - b2) g^2;
        w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)."""
        self.t += 1
        lr, (b1, b2), eps = self.lr, self.betas, self.eps
        self.flat[: self.n_decayed] *= 1.0 - lr * self.weight_decay
        step = -lr / (1.0 - b1**self.t)
        root_bias = math.sqrt(1.0 - b2**self.t)
        w, g, m, v = self.flat, self.flat_grad, self.exp_avg, self.exp_avg_sq
        for s in range(0, w.size, _BLOCK):
            e = min(s + _BLOCK, w.size)
            wb, gb, mb, vb = w[s:e], g[s:e], m[s:e], v[s:e]
            tmp = self.scratch[: e - s]
            np.subtract(gb, mb, out=tmp)
            tmp *= 1.0 - b1
            mb += tmp
            vb *= b2
            np.multiply(gb, gb, out=tmp)
            tmp *= 1.0 - b2
            vb += tmp
            np.sqrt(vb, out=tmp)
            tmp /= root_bias
            tmp += eps
            np.divide(mb, tmp, out=tmp)
            tmp *= step
            wb += tmp

    def __call__(self) -> float:
        loss = self.forward_backward()
        self.update()
        return loss
