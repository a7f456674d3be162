// Imported first by main.tsx, before anything loads the shared IPC schemas. zod probes for
// eval (`new Function`) to compile fast parsers; under this page's CSP the probe is refused
// and reported as a violation. The reader never parses with zod, so it says up front: no JIT.
import { config } from 'zod';

config({ jitless: true });
