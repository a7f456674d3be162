/** The Electron binary's path when it was downloaded into `root`'s node_modules, else null. */
export declare function installedElectronBinary(root?: string): string | null;
