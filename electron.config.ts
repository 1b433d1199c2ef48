// electron-vite: main and preload for Electron, the React renderer (also served by web mode).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      // the worker scripts are entries of their own, so that they land beside index.js where their pools look for them
      rollupOptions: { input: { index: resolve('electron/main/index.ts'), 'pixel-worker': resolve('core/media/pixel-worker.js'), 'phash-worker': resolve('core/media/video/phash-worker.js'), 'sign-worker': resolve('core/provenance/sign-worker.js') } },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot load modules or ESM: bundle everything into one CommonJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('renderer'),
    plugins: [react()],
    build: { rollupOptions: { input: { index: resolve('renderer/index.html') } } },
  },
});
