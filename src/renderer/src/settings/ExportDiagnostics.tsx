// "Export diagnostics": a zip for IT with the redacted logs, the effective configuration and the
// sync state; never a briefing, a token or the person's name.
import { useState } from 'react';
import { FileArchive } from 'lucide-react';
import { useApi } from '../api/api-context.js';
import { saveFile } from './save-file.js';

export function ExportDiagnostics() {
  const api = useApi();
  const [state, setState] = useState<
    | { phase: 'idle' }
    | { phase: 'working' }
    | { phase: 'done'; fileName: string }
    | { phase: 'failed'; message: string }
  >({ phase: 'idle' });
  const run = () => {
    setState({ phase: 'working' });
    void api.exportDiagnostics({}).then((result) => {
      if (!result.ok) {
        setState({ phase: 'failed', message: result.error.message });
        return;
      }
      saveFile(result.value.fileName, result.value.base64, 'application/zip');
      setState({ phase: 'done', fileName: result.value.fileName });
    });
  };
  return (
    <div className="export-diagnostics">
      <button type="button" className="button" onClick={run} disabled={state.phase === 'working'}>
        <FileArchive aria-hidden="true" size={16} />
        Export diagnostics
      </button>
      <p className="export-diagnostics__note" role="status">
        {state.phase === 'done'
          ? `Saved ${state.fileName}. Send it to IT support.`
          : state.phase === 'failed'
            ? state.message
            : 'A file for IT support with the app’s logs and settings. It holds no briefing and no password.'}
      </p>
    </div>
  );
}
