// express-pouchdb ships no types; this declares the slice of its API the embedded adapter uses.
declare module 'express-pouchdb' {
  import type { Express } from 'express';

  type CouchConfig = {
    set(section: string, key: string, value: string, callback: (error: Error | null) => void): void;
    get(section: string, key: string): unknown;
  };

  type ExpressPouchApp = Express & { couchConfig: CouchConfig };

  type ExpressPouchOptions = {
    mode?: 'fullCouchDB' | 'minimumForPouchDB' | 'custom';
    configPath?: string;
    logPath?: string;
    inMemoryConfig?: boolean;
    overrideMode?: { include?: string[]; exclude?: string[] };
  };

  function expressPouchDB(PouchDB: PouchDB.Static, options?: ExpressPouchOptions): ExpressPouchApp;
  export = expressPouchDB;
}
