// Settings: the person's own choices (theme, text size, date and time format), each shown locked
// with "Set by your organisation" where managed policy set it; what the organisation's policy
// means for each marking, in words; values the organisation set that could not be used; and the
// diagnostics export for IT.
import type { Ref } from 'react';
import { Lock, X } from 'lucide-react';
import type { MarkingPolicy, PersonalSettingKey } from '../../../shared/settings.js';
import { DATE_FORMATS, TEXT_SIZES, THEMES, TIME_FORMATS } from '../../../shared/settings.js';
import { useApi } from '../api/api-context.js';
import { MarkingBadge } from '../ui/markings.js';
import { ExportDiagnostics } from './ExportDiagnostics.js';
import { useConfig } from './use-config.js';

const CHOICES: Record<
  PersonalSettingKey,
  { label: string; options: readonly (readonly [string, string])[] }
> = {
  theme: {
    label: 'Theme',
    options: THEMES.map(
      (v) => [v, v === 'system' ? 'Follow the system' : v === 'light' ? 'Light' : 'Dark'] as const,
    ),
  },
  textSize: {
    label: 'Text size',
    options: TEXT_SIZES.map((v) => [v, v[0]!.toUpperCase() + v.slice(1)] as const),
  },
  dateFormat: {
    label: 'Date format',
    options: DATE_FORMATS.map(
      (v) =>
        [
          v,
          v === 'system'
            ? 'As the system'
            : v === 'day-month-year'
              ? 'Day month year (22 Nov 2025)'
              : 'Month day year (Nov 22, 2025)',
        ] as const,
    ),
  },
  timeFormat: {
    label: 'Time format',
    options: TIME_FORMATS.map(
      (v) =>
        [
          v,
          v === 'system'
            ? 'As the system'
            : v === '12-hour'
              ? '12-hour (7:40 pm)'
              : '24-hour (19:40)',
        ] as const,
    ),
  },
};

/** The policy for one marking, in the words a reader needs. */
export function describeMarking(policy: MarkingPolicy): readonly string[] {
  if (policy.aboveCeiling) return ['Never kept on this device.'];
  return [
    policy.print === 'blocked'
      ? 'May not be printed.'
      : 'May be printed, with your name and the time on every page.',
    policy.copy === 'blocked' ? 'Its text may not be copied.' : 'Its text may be copied.',
    policy.screenCapture === 'blocked'
      ? 'Hidden from screenshots and screen sharing while open (desktop app).'
      : 'Screenshots are not blocked.',
  ];
}

export function SettingsDialog({ ref }: { readonly ref: Ref<HTMLDialogElement> }) {
  const api = useApi();
  const config = useConfig();
  return (
    <dialog ref={ref} className="about-dialog settings-dialog" aria-labelledby="settings-title">
      <div className="about-dialog__header">
        <h2 id="settings-title">Settings</h2>
        <button
          type="button"
          className="icon-button"
          aria-label="Close"
          autoFocus
          onClick={(event) => event.currentTarget.closest('dialog')?.close()}
        >
          <X aria-hidden="true" size={18} />
        </button>
      </div>
      {!config ? (
        <p role="status">Loading settings…</p>
      ) : (
        <>
          <h3 className="about-dialog__subheading">Appearance</h3>
          <div className="settings-grid">
            {(Object.keys(CHOICES) as PersonalSettingKey[]).map((key) => {
              const locked = config.lockedPersonal[key];
              const id = `setting-${key}`;
              return (
                <div className="settings-row" key={key} data-testid={id} data-locked={locked}>
                  <label htmlFor={id}>{CHOICES[key].label}</label>
                  <select
                    id={id}
                    value={config.personal[key]}
                    disabled={locked}
                    aria-describedby={locked ? `${id}-locked` : undefined}
                    onChange={(event) => void api.setSetting({ key, value: event.target.value })}
                  >
                    {CHOICES[key].options.map(([value, label]) => (
                      <option key={value} value={value}>
                        {label}
                      </option>
                    ))}
                  </select>
                  {locked ? (
                    <span className="settings-locked" id={`${id}-locked`}>
                      <Lock aria-hidden="true" size={13} />
                      Set by your organisation
                    </span>
                  ) : null}
                </div>
              );
            })}
          </div>

          <h3 className="about-dialog__subheading">Your organisation’s policy for each marking</h3>
          <table className="marking-policy" data-testid="marking-policy">
            <tbody>
              {config.markings.map((policy) => (
                <tr key={policy.marking}>
                  <th scope="row">
                    <MarkingBadge marking={policy.marking} />
                  </th>
                  <td>{describeMarking(policy).join(' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>

          {config.problems.length > 0 ? (
            <>
              <h3 className="about-dialog__subheading">Settings that could not be used</h3>
              <ul className="settings-problems" data-testid="settings-problems">
                {config.problems.map((problem) => (
                  <li key={`${problem.name}:${problem.from}`}>
                    <strong>{problem.name}</strong> from <code>{problem.from}</code>{' '}
                    {problem.reason}; the default applies.
                  </li>
                ))}
              </ul>
            </>
          ) : null}

          <h3 className="about-dialog__subheading">Diagnostics</h3>
          <ExportDiagnostics />
        </>
      )}
    </dialog>
  );
}
