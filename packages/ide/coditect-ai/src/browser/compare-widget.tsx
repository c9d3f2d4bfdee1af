import { ClipboardService } from '@theia/core/lib/browser/clipboard-service';
import { MessageService } from '@theia/core/lib/common/message-service';
import { ReactWidget } from '@theia/core/lib/browser/widgets/react-widget';
import { inject, injectable, postConstruct } from '@theia/core/shared/inversify';
import * as React from '@theia/core/shared/react';
import { EditorManager } from '@theia/editor/lib/browser/editor-manager';
import { CoditectAiService, CompareEvent, CompareUsage, GatewayModel } from '../common/coditect-ai-protocol';
import { CoditectAiClientImpl } from './coditect-ai-client';
import { CoditectModelCatalog } from './coditect-model-catalog';

type ContextMode = 'none' | 'selection' | 'file';

interface Column {
  model: string;
  text: string;
  usage?: CompareUsage;
  error?: string;
  done: boolean;
}

let nextRequest = 0;

/** One prompt to 2–4 gateway models (`POST /api/v5/llm/compare` from the backend), answers side by side. */
@injectable()
export class CoditectCompareWidget extends ReactWidget {
  static readonly ID = 'coditect-compare';
  static readonly LABEL = 'Compare Models';

  @inject(CoditectAiService) protected readonly service!: CoditectAiService;
  @inject(CoditectAiClientImpl) protected readonly client!: CoditectAiClientImpl;
  @inject(CoditectModelCatalog) protected readonly catalog!: CoditectModelCatalog;
  @inject(EditorManager) protected readonly editors!: EditorManager;
  @inject(ClipboardService) protected readonly clipboard!: ClipboardService;
  @inject(MessageService) protected readonly messages!: MessageService;

  protected selected: string[] = [];
  protected prompt = '';
  protected contextMode: ContextMode = 'none';
  protected columns: Column[] = [];
  protected requestId: string | undefined;
  protected running = false;
  protected error: string | undefined;

  @postConstruct()
  protected init(): void {
    this.id = CoditectCompareWidget.ID;
    this.title.label = CoditectCompareWidget.LABEL;
    this.title.caption = 'Send one prompt to several models and compare the answers';
    this.title.iconClass = 'codicon codicon-split-horizontal';
    this.title.closable = true;
    this.addClass('coditect-compare');
    this.toDispose.push(this.catalog.onDidChange(() => this.update()));
    this.toDispose.push(this.client.onCompareEvent_(({ requestId, event }) => {
      if (requestId === this.requestId) this.onEvent(event);
    }));
    this.update();
  }

  protected get models(): GatewayModel[] {
    return this.catalog.current.models;
  }

  protected onEvent(e: CompareEvent): void {
    const col = (model: string | null) => this.columns.find(c => c.model === model);
    switch (e.type) {
      case 'delta': { const c = col(e.model); if (c) c.text += e.text; break; }
      case 'usage': { const c = col(e.model); if (c) { c.usage = e; c.done = true; } break; }
      case 'error': {
        const c = col(e.model);
        if (c) { c.error = `${e.message} (${e.code})`; c.done = true; } else this.error = `${e.message} (${e.code})`;
        break;
      }
      case 'done':
        this.running = false;
        for (const c of this.columns) c.done = true;
        break;
    }
    this.update();
  }

  protected toggle(id: string): void {
    this.selected = this.selected.includes(id) ? this.selected.filter(m => m !== id) : [...this.selected, id].slice(-4);
    this.update();
  }

  protected context(): string | undefined {
    const editor = this.editors.currentEditor?.editor;
    if (!editor || this.contextMode === 'none') return undefined;
    const path = editor.uri.path.base;
    if (this.contextMode === 'selection') {
      const text = editor.document.getText(editor.selection);
      return text ? `Selected code from ${path}:\n\`\`\`\n${text}\n\`\`\`` : undefined;
    }
    return `File ${path}:\n\`\`\`\n${editor.document.getText()}\n\`\`\``;
  }

  async run(): Promise<void> {
    if (this.selected.length < 2 || !this.prompt.trim() || this.running) return;
    const requestId = `compare-${Date.now()}-${nextRequest++}`;
    this.requestId = requestId;
    this.running = true;
    this.error = undefined;
    this.columns = this.selected.map(model => ({ model, text: '', done: false }));
    this.update();
    const context = this.context();
    try {
      await this.service.compare(requestId, { models: [...this.selected], prompt: this.prompt, ...(context ? { context } : {}) });
    } catch (err) {
      this.error = (err as Error).message;
      this.running = false;
      this.update();
    }
  }

  protected stop(): void {
    if (this.requestId) void this.service.cancelCompare(this.requestId);
  }

  protected insert(text: string): void {
    const editor = this.editors.currentEditor?.editor;
    if (!editor) {
      void this.messages.warn('Open an editor to insert the answer into.');
      return;
    }
    editor.executeEdits([{ range: editor.selection, newText: text }]);
    editor.focus();
  }

  protected render(): React.ReactNode {
    const models = this.models;
    const list = this.catalog.current;
    return <div className='coditect-compare-root'>
      <div className='coditect-compare-form'>
        <div className='coditect-compare-models'>
          {models.length === 0 && <span className='coditect-compare-hint'>
            {list.error ? `Models unavailable: ${list.error}` : 'No models yet: add provider keys in Coditect → Models & keys.'}
          </span>}
          {models.map(m => <label key={m.id} className='coditect-compare-model' title={m.name}>
            <input type='checkbox' data-model={m.id} checked={this.selected.includes(m.id)} onChange={() => this.toggle(m.id)} />
            {m.id}
          </label>)}
        </div>
        <textarea className='theia-input coditect-compare-prompt' rows={4} aria-label='Prompt' placeholder='Prompt for every selected model (choose 2–4)'
          value={this.prompt} onChange={e => { this.prompt = e.target.value; this.update(); }}
          onKeyDown={e => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void this.run(); }} />
        <div className='coditect-compare-actions'>
          <select className='theia-select' aria-label='Editor context' value={this.contextMode} onChange={e => { this.contextMode = e.target.value as ContextMode; this.update(); }}>
            <option value='none'>No editor context</option>
            <option value='selection'>With the current selection</option>
            <option value='file'>With the current file</option>
          </select>
          {this.running
            ? <button className='theia-button secondary' onClick={() => this.stop()}>Stop</button>
            : <button className='theia-button coditect-compare-send' disabled={this.selected.length < 2 || !this.prompt.trim()}
              onClick={() => void this.run()}>Compare {this.selected.length ? `(${this.selected.length})` : ''}</button>}
        </div>
        {this.error && <div className='coditect-compare-error'>{this.error}</div>}
      </div>
      <div className='coditect-compare-columns'>
        {this.columns.map(c => <div key={c.model} className='coditect-compare-column' data-model={c.model}>
          <div className='coditect-compare-title'>{c.model}</div>
          <pre className='coditect-compare-answer'>{c.text}{!c.done && <span className='coditect-compare-cursor'>▍</span>}</pre>
          {c.error && <div className='coditect-compare-error'>{c.error}</div>}
          <div className='coditect-compare-stats'>
            {c.usage ? `${c.usage.latencyMs} ms${c.usage.ttftMs != null ? ` (first token ${c.usage.ttftMs} ms)` : ''} · ${c.usage.inputTokens}→${c.usage.outputTokens} tokens · $${c.usage.costUsd.toFixed(6)}` : c.done ? '' : 'streaming…'}
          </div>
          <div className='coditect-compare-buttons'>
            <button className='theia-button secondary' disabled={!c.text} onClick={() => this.insert(c.text)}>Insert into editor</button>
            <button className='theia-button secondary' disabled={!c.text} onClick={() => { this.clipboard.writeText(c.text); }}>Copy</button>
          </div>
        </div>)}
      </div>
    </div>;
  }
}
