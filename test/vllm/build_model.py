"""Builds the tiny models test:vllm serves: nothing is downloaded.

A Qwen3 (the architecture of Qwen3-Embedding) with hidden size 128, 2 layers, float32 and random
weights from a fixed seed, and a byte-level BPE tokenizer trained with `tokenizers` on generated
lines; and in OUT_DIR/reranker the same Qwen3 as a cross-encoder (Qwen3ForSequenceClassification
with one label, which vLLM serves on /rerank and /score). Usage: python build_model.py OUT_DIR.
Same inputs, same bytes: rebuilds are identical.
"""

import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))

import torch  # noqa: E402
from tiny_corpus import corpus  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402
from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM, Qwen3ForSequenceClassification  # noqa: E402


def build(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=1000, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus(), trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>", model_max_length=512)
    fast.save_pretrained(out)

    torch.manual_seed(0)
    config = Qwen3Config(
        vocab_size=tok.get_vocab_size(),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=32,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        eos_token_id=tok.token_to_id("<|endoftext|>"),
        pad_token_id=tok.token_to_id("<|endoftext|>"),
        bos_token_id=tok.token_to_id("<|endoftext|>"),
        torch_dtype="float32",
    )
    model = Qwen3ForCausalLM(config).to(torch.float32)
    model.save_pretrained(out, safe_serialization=True)

    reranker = os.path.join(out, "reranker")
    fast.save_pretrained(reranker)
    torch.manual_seed(1)
    config.num_labels = 1
    config.architectures = ["Qwen3ForSequenceClassification"]
    Qwen3ForSequenceClassification(config).to(torch.float32).save_pretrained(reranker, safe_serialization=True)
    with open(os.path.join(out, "build.json"), "w") as f:
        json.dump({"built_by": "test/vllm/build_model.py", "vocab_size": tok.get_vocab_size(), "hidden_size": 128}, f)


if __name__ == "__main__":
    build(sys.argv[1])
