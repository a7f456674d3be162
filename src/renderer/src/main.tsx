// The reader's entry point: pick the API (Electron preload or browser host bridge), apply the
// display settings last applied (before they arrive from the device, so nothing flashes), render.
import './zod-jitless.js';
import '@fontsource-variable/inter/wght.css';
import '@fontsource-variable/source-serif-4/wght.css';
import '@fontsource-variable/source-serif-4/wght-italic.css';
import './styles/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { ApiContext } from './api/api-context.js';
import { resolveApi } from './bridge/resolve-api.js';
import { applyCachedDisplay } from './settings/display.js';

applyCachedDisplay();
const { api, source } = resolveApi(window);
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ApiContext.Provider value={api}>
        <App source={source} />
      </ApiContext.Provider>
    </StrictMode>,
  );
}
