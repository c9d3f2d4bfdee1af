import { inject, injectable } from '@theia/core/shared/inversify';
import { FrontendApplicationContribution } from '@theia/core/lib/browser/frontend-application-contribution';
import { ApplicationShell } from '@theia/core/lib/browser/shell/application-shell';
import { DisposableCollection } from '@theia/core/lib/common/disposable';
import URI from '@theia/core/lib/common/uri';
import { EditorManager } from '@theia/editor/lib/browser/editor-manager';
import { EditorWidget } from '@theia/editor/lib/browser/editor-widget';
import { FileNavigatorContribution } from '@theia/navigator/lib/browser/navigator-contribution';
import { WorkspaceService } from '@theia/workspace/lib/browser/workspace-service';
import {
  CoditectLayout, CoditectSession, CoditectSessionService, CoditectSessionUpdate, PanelLayout, sanitizeRelativePaths,
} from '../common/coditect-session-protocol';

/** Debounce between a workbench change and the PATCH that reports it. */
export const SESSION_SYNC_DEBOUNCE_MS = 1000;

type SideArea = 'left' | 'right' | 'bottom';
const SIDE_AREAS: SideArea[] = ['left', 'right', 'bottom'];

/**
 * Workspace session sync: restores the session's open editors, active editor and layout on start,
 * then reports changes (debounced) through the backend service, which holds the API token.
 */
@injectable()
export class CoditectSessionContribution implements FrontendApplicationContribution {
  @inject(CoditectSessionService) protected readonly service!: CoditectSessionService;
  @inject(EditorManager) protected readonly editorManager!: EditorManager;
  @inject(ApplicationShell) protected readonly shell!: ApplicationShell;
  @inject(WorkspaceService) protected readonly workspaceService!: WorkspaceService;
  @inject(FileNavigatorContribution) protected readonly navigator!: FileNavigatorContribution;

  protected readonly toDispose = new DisposableCollection();
  protected timer: ReturnType<typeof setTimeout> | undefined;
  protected lastSent: string | undefined;
  protected restoring = false;
  protected enabled = false;

  async onDidInitializeLayout(): Promise<void> {
    try {
      const info = await this.service.info();
      this.enabled = info.enabled;
      if (!this.enabled) {
        console.info('[coditect-session] no session configured: sync disabled');
        return;
      }
      await this.workspaceService.ready;
      await this.restore();
    } catch (e) {
      console.warn('[coditect-session] restore failed', e);
    } finally {
      if (this.enabled) this.listen();
    }
  }

  onStop(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      // Best effort: the page is going away, the RPC may or may not make it.
      this.flush().catch(() => undefined);
    }
    this.toDispose.dispose();
  }

  protected listen(): void {
    const schedule = () => this.schedule();
    this.toDispose.pushAll([
      this.editorManager.onCreated(widget => {
        this.toDispose.push(widget.onDidDispose(schedule));
        schedule();
      }),
      this.editorManager.onCurrentEditorChanged(schedule),
      this.shell.onDidAddWidget(schedule),
      this.shell.onDidRemoveWidget(schedule),
      this.shell.onDidChangeActiveWidget(schedule),
      this.shell.onDidChangeCurrentWidget(schedule),
    ]);
    for (const widget of this.editorManager.all) this.toDispose.push(widget.onDidDispose(schedule));
    // Report the restored state once, so a session without state gets one.
    schedule();
  }

  protected schedule(): void {
    if (this.restoring) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(e => console.warn('[coditect-session] sync failed', e));
    }, SESSION_SYNC_DEBOUNCE_MS);
  }

  protected async flush(): Promise<void> {
    const update = this.collect();
    const json = JSON.stringify(update);
    if (json === this.lastSent) return;
    const ok = await this.service.updateSession(update);
    if (ok) this.lastSent = json;
  }

  protected rootUri(): URI | undefined {
    const roots = this.workspaceService.tryGetRoots();
    return roots[0]?.resource;
  }

  protected toRelative(uri: URI): string | undefined {
    const root = this.rootUri();
    if (!root) return undefined;
    const rel = root.relative(uri);
    return rel ? rel.toString() : undefined;
  }

  protected collect(): CoditectSessionUpdate {
    const activeFiles: string[] = [];
    // Main-area tab order, then any editor elsewhere (e.g. a split).
    const editors = new Set<EditorWidget>();
    for (const w of this.shell.getWidgets('main')) if (w instanceof EditorWidget) editors.add(w);
    for (const w of this.editorManager.all) editors.add(w);
    for (const widget of editors) {
      if (widget.isDisposed) continue;
      const rel = this.toRelative(widget.editor.uri);
      if (rel && !activeFiles.includes(rel)) activeFiles.push(rel);
    }
    const current = this.editorManager.currentEditor;
    const activeFile = current && !current.isDisposed ? this.toRelative(current.editor.uri) : undefined;
    return { activeFiles, state: { activeFile, layout: this.collectLayout() } };
  }

  protected collectLayout(): CoditectLayout {
    const layout: CoditectLayout = { version: 1 };
    for (const area of SIDE_AREAS) {
      const panel: PanelLayout = { expanded: this.shell.isExpanded(area) };
      const current = this.shell.getCurrentWidget(area);
      if (current) panel.activeView = current.id;
      layout[area] = panel;
    }
    return layout;
  }

  protected async restore(): Promise<void> {
    const session = await this.service.getSession();
    if (!session) return;
    const root = this.rootUri();
    if (!root) return;
    this.restoring = true;
    try {
      await this.restoreEditors(session, root);
      if (session.state?.layout) {
        await this.restoreLayout(session.state.layout);
      } else {
        // A session without a stored layout (first open): show the explorer, as VS Code does.
        await this.navigator.openView({ reveal: true });
      }
      // What we restored is what the server has: no need to send it back unchanged.
      this.lastSent = JSON.stringify(this.collect());
    } finally {
      this.restoring = false;
    }
  }

  protected async restoreEditors(session: CoditectSession, root: URI): Promise<void> {
    const files = sanitizeRelativePaths(session.activeFiles);
    const activeRaw = session.state?.activeFile;
    const active = typeof activeRaw === 'string' ? sanitizeRelativePaths([activeRaw])[0] : undefined;
    for (const rel of files) {
      try {
        await this.editorManager.open(root.resolve(rel), { mode: 'open', preview: false } as never);
      } catch (e) {
        console.warn(`[coditect-session] cannot reopen ${rel}`, e);
      }
    }
    if (active) {
      try {
        await this.editorManager.open(root.resolve(active), { mode: 'activate', preview: false } as never);
      } catch (e) {
        console.warn(`[coditect-session] cannot activate ${active}`, e);
      }
    }
  }

  protected async restoreLayout(layout: CoditectLayout | undefined): Promise<void> {
    if (!layout || layout.version !== 1) return;
    for (const area of SIDE_AREAS) {
      const panel = layout[area];
      if (!panel || typeof panel.expanded !== 'boolean') continue;
      try {
        if (panel.expanded) {
          if (typeof panel.activeView === 'string' && this.shell.getWidgets(area).some(w => w.id === panel.activeView)) {
            await this.shell.revealWidget(panel.activeView);
          } else if (!this.shell.isExpanded(area)) {
            this.shell.expandPanel(area);
          }
        } else if (this.shell.isExpanded(area)) {
          await this.shell.collapsePanel(area);
        }
      } catch (e) {
        console.warn(`[coditect-session] cannot restore the ${area} panel`, e);
      }
    }
  }
}
