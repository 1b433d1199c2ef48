// electron-vite: main and preload for Electron, the React renderer (also served by web mode).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      // the pixel worker is its own entry, so that it lands beside index.js where pixel-pool.ts looks for it
      rollupOptions: { input: { index: resolve('electron/main/index.ts'), 'pixel-worker': resolve('core/media/pixel-worker.js') } },
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
