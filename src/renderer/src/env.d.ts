/// <reference types="vite/client" />
import type { AttacheApi } from '../../shared/ipc.js';

declare global {
  // Global augmentation must use `interface`: a `type` cannot merge with lib.dom's Window.
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions
  interface Window {
    /** Put there by the Electron preload; absent in the browser host, where the HTTP bridge stands in. */
    readonly attache?: AttacheApi;
  }
}
