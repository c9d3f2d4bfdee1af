import { inject, injectable } from '@theia/core/shared/inversify';
import { FrontendApplicationContribution } from '@theia/core/lib/browser/frontend-application-contribution';
import { ThemeService } from '@theia/core/lib/browser/theming';

/** Message the embedding Coditect web app posts to the IDE iframe when its theme changes. */
export interface CoditectThemeMessage {
  type: 'coditect:theme';
  /** 'light', 'dark' or any installed Theia theme id */
  theme: string;
}

/**
 * Lets the embedding web app choose the IDE theme without touching user settings:
 * `/?theme=dark|light` on load, and `postMessage({type: 'coditect:theme', theme})` from the
 * embedding window (the app, on another origin since each IDE has its own) at any time. Only the
 * theme is taken from a message, so whoever frames the IDE can change nothing else. Not
 * persisted: the app's theme wins on every load.
 */
@injectable()
export class CoditectThemeContribution implements FrontendApplicationContribution {
  @inject(ThemeService) protected readonly themes!: ThemeService;

  onStart(): void {
    const fromUrl = new URLSearchParams(window.location.search).get('theme');
    if (fromUrl) this.apply(fromUrl);
    window.addEventListener('message', event => {
      if (event.source !== window.parent && event.origin !== window.location.origin) return;
      const data = event.data as Partial<CoditectThemeMessage> | undefined;
      if (data?.type === 'coditect:theme' && typeof data.theme === 'string') this.apply(data.theme);
    });
  }

  protected apply(theme: string): void {
    const id = theme === 'dark' || theme === 'light' ? theme : theme.slice(0, 100);
    if (this.themes.getThemes().some(t => t.id === id)) this.themes.setCurrentTheme(id, false);
    else console.warn(`[coditect] unknown theme ${id}`);
  }
}
