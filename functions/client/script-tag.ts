import { createTracker } from './browser.ts';

// The script-tag bundle's one global, set by hand: esbuild's export helpers would cost more than the rest of the wrapper.
(globalThis as { GroceryLoop?: unknown }).GroceryLoop = { createTracker };
