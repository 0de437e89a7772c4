"""Drives the relay with real Python client SDKs and prints one JSON object with what they saw.

  python drive.py embed CLIENT BASE_URL MODEL TEXT...
      CLIENT: openai-sync | openai-async | langchain | llamaindex | litellm
      -> {"vectors": [[first 8 components], ...], "dims": [...]}
  python drive.py embed-as CLIENT BASE_URL MODEL API_KEY TEXT...
      the same with another key (a named caller's)
  python drive.py error CLIENT BASE_URL MODEL API_KEY TEXT...
      -> {"error": {"class": "module.Name", "status": 401, "code": "...", "request_id": "...", "message": "..."}} (or {"vectors": ...} if none)
  python drive.py retried CLIENT BASE_URL MODEL INPUTS
      CLIENT: openai-sync | openai-async, with their retry settings as shipped
      -> {"count": n, "dims": [...]} (INPUTS texts of 1000 characters, dimensions 8)
  python drive.py oversized CLIENT BASE_URL MB TRIES
      CLIENT: openai-sync | openai-async
      -> {"outcomes": {"413": n, "connection error": m, ...}}
  python drive.py rerank CLIENT BASE_URL MODEL TOP_N QUERY DOC...
      CLIENT: cohere-v1 | cohere-v2 (the Cohere SDK, as vLLM's docs use it for /v1/rerank and /v2/rerank)
      -> {"results": [[index, relevance_score], ...]}; on an error: {"error": {"class", "status", "message"}}

Used by test/clients/clients.test.ts; nothing here decides pass or fail.
"""

import asyncio
import json
import os
import sys

# LiteLLM fetches its model cost map from the internet at import unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
API_KEY = "sk-clients-test"


def summary(vectors):
    return {"vectors": [list(map(float, v[:8])) for v in vectors], "dims": [len(v) for v in vectors]}


def embed(client, base_url, model, texts, api_key=API_KEY):
    if client == "openai-sync":
        from openai import OpenAI

        r = OpenAI(base_url=base_url, api_key=api_key, max_retries=0).embeddings.create(model=model, input=texts)
        return summary([d.embedding for d in r.data])
    if client == "openai-async":
        from openai import AsyncOpenAI

        async def run():
            async with AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0) as c:
                return await c.embeddings.create(model=model, input=texts)

        return summary([d.embedding for d in asyncio.run(run()).data])
    if client == "langchain":
        from langchain_openai import OpenAIEmbeddings

        # check_embedding_ctx_length=False: otherwise tiktoken downloads its encodings first.
        e = OpenAIEmbeddings(model=model, base_url=base_url, api_key=api_key, check_embedding_ctx_length=False, max_retries=0)
        return summary(e.embed_documents(texts))
    if client == "llamaindex":
        from llama_index.embeddings.openai import OpenAIEmbedding

        e = OpenAIEmbedding(model_name=model, api_base=base_url, api_key=api_key, max_retries=0)
        return summary(e.get_text_embedding_batch(texts))
    if client == "litellm":
        import litellm

        litellm.suppress_debug_info = True  # its "Give Feedback" banner goes to stdout, which carries our JSON
        r = litellm.embedding(model=f"openai/{model}", input=texts, api_base=base_url, api_key=api_key, num_retries=0)
        return summary([d["embedding"] for d in r.data])
    raise SystemExit(f"unknown client {client}")


def error(client, base_url, model, api_key, texts):
    """What the caller of each SDK catches when the relay answers with an error."""
    try:
        return embed(client, base_url, model, texts, api_key)
    except Exception as err:  # noqa: BLE001 - the error is what is reported
        status = getattr(err, "status_code", None)
        code = getattr(err, "code", None)
        request_id = getattr(err, "request_id", None)
        return {
            "error": {
                "class": f"{type(err).__module__}.{type(err).__name__}",
                "status": status if isinstance(status, int) else None,
                "code": code if isinstance(code, str) else None,
                "request_id": request_id if isinstance(request_id, str) else None,
                "message": str(err),
            }
        }


def oversized(client, base_url, mb, tries):
    import openai

    text = "x" * (mb * 1_000_000)
    outcomes = {}

    def count(key):
        outcomes[key] = outcomes.get(key, 0) + 1

    def classify(err):
        if isinstance(err, openai.APIConnectionError):
            return "connection error"
        if isinstance(err, openai.APIStatusError):
            return str(err.status_code)
        return type(err).__name__

    if client == "openai-sync":
        c = openai.OpenAI(base_url=base_url, api_key=API_KEY, max_retries=0)
        for _ in range(tries):
            try:
                c.embeddings.create(model="m-oversized-py", input=text)
                count("ok")
            except Exception as err:  # noqa: BLE001 - every outcome is reported
                count(classify(err))
    elif client == "openai-async":

        async def run():
            async with openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY, max_retries=0) as c:
                for _ in range(tries):
                    try:
                        await c.embeddings.create(model="m-oversized-py", input=text)
                        count("ok")
                    except Exception as err:  # noqa: BLE001
                        count(classify(err))

        asyncio.run(run())
    else:
        raise SystemExit(f"unknown client {client}")
    return {"outcomes": outcomes}


def retried(client, base_url, model, inputs):
    texts = [f"retried {i} " + "x" * 990 for i in range(inputs)]
    if client == "openai-sync":
        from openai import OpenAI

        r = OpenAI(base_url=base_url, api_key=API_KEY).embeddings.create(model=model, input=texts, dimensions=8)
    elif client == "openai-async":
        from openai import AsyncOpenAI

        async def run():
            async with AsyncOpenAI(base_url=base_url, api_key=API_KEY) as c:
                return await c.embeddings.create(model=model, input=texts, dimensions=8)

        r = asyncio.run(run())
    else:
        raise SystemExit(f"unknown client {client}")
    return {"count": len(r.data), "dims": sorted({len(d.embedding) for d in r.data})}


def rerank(client, base_url, model, top_n, query, documents):
    import cohere

    # base_url is the server's root: the SDK appends /v1/rerank (Client) or /v2/rerank (ClientV2).
    cls = {"cohere-v1": cohere.Client, "cohere-v2": cohere.ClientV2}[client]
    co = cls(api_key=API_KEY, base_url=base_url)
    try:
        r = co.rerank(model=model, query=query, documents=documents, top_n=top_n)
    except cohere.core.api_error.ApiError as e:
        return {"error": {"class": f"{type(e).__module__}.{type(e).__name__}", "status": e.status_code, "message": str(e.body)}}
    return {"results": [[x.index, x.relevance_score] for x in r.results]}


def main():
    mode, client, base_url = sys.argv[1:4]
    if mode == "embed":
        out = embed(client, base_url, sys.argv[4], sys.argv[5:])
    elif mode == "embed-as":
        out = embed(client, base_url, sys.argv[4], sys.argv[6:], api_key=sys.argv[5])
    elif mode == "error":
        out = error(client, base_url, sys.argv[4], sys.argv[5], sys.argv[6:])
    elif mode == "retried":
        out = retried(client, base_url, sys.argv[4], int(sys.argv[5]))
    elif mode == "oversized":
        out = oversized(client, base_url, int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "rerank":
        out = rerank(client, base_url, sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7:])
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
