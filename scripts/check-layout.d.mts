export type FolderCycle = {
  readonly root: string;
  /** The folders (relative to root) that import one another in a circle. */
  readonly folders: readonly string[];
  /** One file-level import per folder edge inside the cycle. */
  readonly imports: readonly string[];
};
export declare const CAPABILITY_ROOTS: readonly string[];
export declare const PRODUCT_ROOTS: readonly string[];
export declare const MAX_LINES: number;
export declare const OVERSIZED: ReadonlyMap<string, string>;
export declare function folderGraph(root: string): Map<string, Map<string, string>>;
export declare function findFolderCycles(root: string): FolderCycle[];
export declare function findOversizedFiles(
  roots?: readonly string[],
  allowed?: ReadonlyMap<string, string>,
): { file: string; lines: number }[];
