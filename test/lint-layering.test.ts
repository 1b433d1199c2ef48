// The layering rule of DESIGN.md, checked by running the project's own ESLint config on code placed in core/.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.ts';

const eslint = new ESLint({ cwd: ROOT });

async function layeringErrors(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint: layering', () => {
  it.each([
    ["import { app } from 'electron';", 'electron'],
    ["import { useState } from 'react';", 'react'],
    ["import { createRoot } from 'react-dom/client';", 'react-dom'],
    ["import Fastify from 'fastify';", 'fastify'],
    ["import { main } from '../cli/main.ts';", 'cli/'],
    ["import { x } from '../../electron/main/index.ts';", 'electron/'],
    ["import { App } from '../renderer/src/App.tsx';", 'renderer/'],
    ["import { hub } from '../server/hub.ts';", 'server/'],
  ])('fails core/ code that does %s', async (code) => {
    const errors = await layeringErrors(`${code}\nexport const used = [${code.match(/\{ (\w+) \}|import (\w+)/)!.slice(1).find(Boolean)}];\n`, 'core/media/example.ts');
    expect(errors.length).toBeGreaterThan(0);
  });

  it.each([
    ["import { main } from '../../cli/main.ts';", 'cli/'],
    ["import { App } from '../../renderer/src/App.tsx';", 'renderer/'],
    ["import { app } from 'electron';", 'electron'],
  ])('fails server/ code that does %s', async (code) => {
    const errors = await layeringErrors(`${code}\nexport const used = [${code.match(/\{ (\w+) \}/)![1]}];\n`, 'server/http/example.ts');
    expect(errors.length).toBeGreaterThan(0);
  });

  it('lets server/ import core/ and fastify', async () => {
    const errors = await layeringErrors("import Fastify from 'fastify';\nimport { CustodyError } from '../../core/errors.ts';\nexport const used = [Fastify, CustodyError];\n", 'server/http/example.ts');
    expect(errors).toEqual([]);
  });

  it('lets core/ import its own modules and libraries', async () => {
    const errors = await layeringErrors("import sharp from 'sharp';\nimport { sha256Hex } from './hash.ts';\nexport const used = [sharp, sha256Hex];\n", 'core/media/example.ts');
    expect(errors).toEqual([]);
  });

  it('lets renderer/ import only types from core/api', async () => {
    expect(await layeringErrors("import { Desk } from '../../core/desk.ts';\nexport const d = Desk;\n", 'renderer/src/example.ts')).not.toEqual([]);
    expect(await layeringErrors("import type { DeskApi } from '../../core/api/desk-api.ts';\nexport type D = DeskApi;\n", 'renderer/src/example.ts')).toEqual([]);
  });
});
