import { resolve } from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import react from '@vitejs/plugin-react';

// main and preload run in Electron (Node side); the renderer is a plain web bundle that the
// browser host can serve unchanged where Electron cannot run.
export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/index.ts'),
          // Worker threads' entries, built beside index.js: threads/workers.ts looks for them in the
          // folder of the module that starts them.
          'index-worker': resolve(import.meta.dirname, 'src/main/search/index-worker.ts'),
          'pdf-text-worker': resolve(import.meta.dirname, 'src/main/search/pdf-text-worker.ts'),
          'workspace-worker': resolve(import.meta.dirname, 'src/main/session/workspace-worker.ts'),
        },
        // Shared code beside the entries too: every module's folder is the entries' folder.
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        // A sandboxed preload cannot be an ES module.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    base: './',
    plugins: [react()],
    build: {
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } },
    },
  },
});
