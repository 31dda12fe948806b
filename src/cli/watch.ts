/**
 * Watches the config file (routes.json `watch: true`) and calls back once per real change.
 *
 * The directory is watched, not the file: an editor that saves by writing a temporary file and renaming it
 * over the original replaces the file's inode, and a watch on the old inode goes quiet after the first save;
 * a Kubernetes ConfigMap swaps a `..data` symlink and never touches the file's own name. So any event in the
 * directory (debounced, since one save is a burst of events) leads to reading the file, and only a content
 * different from the last one seen is reported. A file missing for a moment (mid-rename) is skipped: the
 * event that brings it back follows.
 */
import { readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ConfigWatcher {
  close(): void;
}

export const WATCH_DEBOUNCE_MS = 100; // one save is a write, a truncate, a rename...: one reload for all

export function watchConfigFile(
  path: string,
  onChange: () => void,
  onError: (error: Error) => void,
  debounceMs = WATCH_DEBOUNCE_MS,
): ConfigWatcher {
  let last = readOrUndefinedSync(path);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const check = async (): Promise<void> => {
    timer = undefined;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return;
    }
    if (closed || text === last) return;
    last = text;
    onChange();
  };

  const watcher = watch(dirname(path), { persistent: false }, () => {
    if (timer !== undefined) timer.refresh();
    else timer = setTimeout(() => void check(), debounceMs);
  });
  watcher.on('error', (error) => {
    watcher.close();
    onError(error);
  });

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}

function readOrUndefinedSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
