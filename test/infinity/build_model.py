"""Builds the tiny models test:infinity serves: nothing is downloaded.

A BERT with hidden size 128, 2 layers, float32 and random weights from a fixed seed, a WordPiece
tokenizer trained with `tokenizers` on generated lines, wrapped as a sentence-transformers model
(mean pooling, then L2 normalisation), the layout Infinity loads; and in OUT_DIR/reranker the same
BERT as a cross-encoder (BertForSequenceClassification with one label: one relevance score per
query-document pair), which Infinity serves on /rerank. Usage: python build_model.py OUT_DIR.
"""

import os
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))

import torch  # noqa: E402
from tiny_corpus import corpus  # noqa: E402
from sentence_transformers import SentenceTransformer, models  # noqa: E402
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers  # noqa: E402
from tokenizers.models import WordPiece  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification, BertModel, BertTokenizerFast  # noqa: E402

HIDDEN = 128


def build(out: str) -> None:
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(corpus(), trainer=trainers.WordPieceTrainer(vocab_size=1000, special_tokens=special, show_progress=False))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )

    with tempfile.TemporaryDirectory() as bert_dir:
        fast = BertTokenizerFast(tokenizer_object=tok, model_max_length=512)
        fast.save_pretrained(bert_dir)
        torch.manual_seed(0)
        config = BertConfig(
            vocab_size=tok.get_vocab_size(),
            hidden_size=HIDDEN,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=256,
            max_position_embeddings=512,
        )
        BertModel(config).save_pretrained(bert_dir, safe_serialization=True)
        transformer = models.Transformer(bert_dir, max_seq_length=512)
        pooling = models.Pooling(HIDDEN, pooling_mode="mean")
        SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu").save(out)

        reranker = os.path.join(out, "reranker")
        fast.save_pretrained(reranker)
        torch.manual_seed(1)
        BertForSequenceClassification(BertConfig(**config.to_dict(), num_labels=1)).save_pretrained(reranker, safe_serialization=True)


if __name__ == "__main__":
    build(sys.argv[1])
