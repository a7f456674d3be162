// express-pouchdb ships no types; this declares the slice of its API the embedded adapter uses.
declare module 'express-pouchdb' {
  import type { Express } from 'express';

  type CouchConfig = {
    set(section: string, key: string, value: string, callback: (error: Error | null) => void): void;
    get(section: string, key: string): unknown;
  };

  /** A database as express-pouchdb hands it to its wrappers (a PouchDB instance). */
  type WrappedDatabase = {
    changes(...args: unknown[]): {
      on(event: string, listener: (...args: unknown[]) => void): unknown;
    };
  };

  type DatabaseWrapper = {
    /** Called for every database the first time a request opens it, in registration order. */
    registerWrapper(
      wrapper: (name: string, db: WrappedDatabase, next: () => Promise<void>) => unknown,
    ): void;
  };

  type ExpressPouchApp = Express & { couchConfig: CouchConfig; dbWrapper: DatabaseWrapper };

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

// The name cleaning express-pouchdb applies to every database name before opening it.
declare module 'express-pouchdb/lib/clean-filename.js' {
  function cleanFilename(name: string): string;
  export = cleanFilename;
}
