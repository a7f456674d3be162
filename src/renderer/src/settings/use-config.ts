// The device's settings as the reader sees them: fetched once, kept current by config:changed,
// shared through context, and applied to the page as they change.
import { createContext, useContext, useEffect, useState } from 'react';
import type { Classification } from '../../../shared/briefing.js';
import type { AttacheApi } from '../../../shared/ipc.js';
import type { DeviceConfigView, MarkingPolicy } from '../../../shared/settings.js';
import { applyDisplay } from './display.js';

export const ConfigContext = createContext<DeviceConfigView | null>(null);

export function useConfigSource(api: AttacheApi): DeviceConfigView | null {
  const [config, setConfig] = useState<DeviceConfigView | null>(null);
  useEffect(() => {
    let live = true;
    const off = api.onConfigChanged((next) => {
      if (live) setConfig(next);
    });
    void api.getConfig({}).then((result) => {
      if (live && result.ok) setConfig((current) => current ?? result.value);
    });
    return () => {
      live = false;
      off();
    };
  }, [api]);
  useEffect(() => {
    if (config) applyDisplay(config.personal);
  }, [config]);
  return config;
}

export function useConfig(): DeviceConfigView | null {
  return useContext(ConfigContext);
}

/**
 * What the policy allows for a marking. Until the settings arrive, everything is restricted:
 * nothing is printed or copied on a guess.
 */
export function useMarkingPolicy(marking: Classification): MarkingPolicy {
  const config = useConfig();
  return (
    config?.markings.find((policy) => policy.marking === marking) ?? {
      marking,
      print: 'blocked',
      copy: 'blocked',
      screenCapture: 'blocked',
      aboveCeiling: false,
    }
  );
}
