import { describe, expect, it } from 'vitest';
import { sameModel } from '../../../src/inspect/quality.ts';

describe('sameModel', () => {
  it.each([
    ['Qwen/Qwen3-Embedding-4B', 'Qwen/Qwen3-Embedding-4B'],
    ['text-embedding-ada-002', 'text-embedding-ada-002-v2'], // OpenAI's answer for ada-002
    ['nomic-embed-text', 'nomic-embed-text:latest'], // Ollama's tag
    ['Qwen3-Embedding-4B', 'Qwen/Qwen3-Embedding-4B'], // an organisation prefix
    ['bge-m3', 'bge-m3@2024'],
  ])('%s answered as %s is the same model', (asked, answered) => {
    expect(sameModel(asked, answered)).toBe(true);
    expect(sameModel(answered, asked)).toBe(true);
  });

  it.each([
    ['text-embedding-3-large', 'tiny-embed'], // Infinity answers any name with its served model
    ['bge-m3', 'bge-m3x'],
    ['Qwen/Qwen3-Embedding-4B', 'Qwen/Qwen3-Embedding-8B'],
    ['e5', 'multilingual-e5'],
  ])('%s answered as %s is another model', (asked, answered) => {
    expect(sameModel(asked, answered)).toBe(false);
  });
});
