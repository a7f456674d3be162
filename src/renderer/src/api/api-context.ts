import { createContext, useContext } from 'react';
import type { AttacheApi } from '../../../shared/ipc.js';

export const ApiContext = createContext<AttacheApi | null>(null);

/** The reader's only door to the device: the contract's verbs and events. */
export function useApi(): AttacheApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside <ApiContext.Provider>');
  return api;
}
