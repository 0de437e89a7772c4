"""The generated text the real-server suites train their tiny models' tokenizers on (test/vllm and
test/infinity build_model.py): a fixed linear congruential sequence over a small vocabulary, so the
same text, and the same tokenizer, on every machine. Nothing is downloaded."""

WORDS = (
    "the a an of to in for on with by from at as is are was be this that these those relay vector "
    "embedding model server request response token input output latency trace span metric log "
    "quality drift norm dimension batch query document search retrieval cat dog house river city "
    "blue green red fast slow small large one two three four five six seven eight nine ten hello "
    "world apple banana orange music paper science history ocean mountain forest winter summer"
).split()


def corpus(lines: int = 600):
    state = 12345
    for _ in range(lines):
        words = []
        for _ in range(12):
            state = (1103515245 * state + 12345) % (2**31)
            words.append(WORDS[state % len(WORDS)])
        yield " ".join(words)
