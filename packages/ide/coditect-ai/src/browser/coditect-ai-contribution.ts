import { LanguageModelRegistry } from '@theia/ai-core';
import { AbstractViewContribution, FrontendApplicationContribution } from '@theia/core/lib/browser';
import { Command, CommandRegistry } from '@theia/core/lib/common/command';
import { MessageService } from '@theia/core/lib/common/message-service';
import { inject, injectable } from '@theia/core/shared/inversify';
import { CoditectAiService } from '../common/coditect-ai-protocol';
import { CoditectCompareWidget } from './compare-widget';
import { CoditectModelCatalog } from './coditect-model-catalog';

export const CoditectAiCommands = {
  REFRESH_MODELS: Command.toDefaultLocalizedCommand({ id: 'coditect.ai.refreshModels', category: 'Coditect', label: 'Refresh AI Models' }),
  OPEN_COMPARE: Command.toDefaultLocalizedCommand({ id: 'coditect.ai.compare', category: 'Coditect', label: 'Compare Models' }),
};

/** Loads the gateway's models when the IDE starts (and on demand), and offers the compare view. */
@injectable()
export class CoditectAiContribution extends AbstractViewContribution<CoditectCompareWidget> implements FrontendApplicationContribution {
  @inject(CoditectAiService) protected readonly service!: CoditectAiService;
  @inject(CoditectModelCatalog) protected readonly catalog!: CoditectModelCatalog;
  @inject(LanguageModelRegistry) protected readonly registry!: LanguageModelRegistry;
  @inject(MessageService) protected readonly messages!: MessageService;

  constructor() {
    super({
      widgetId: CoditectCompareWidget.ID,
      widgetName: CoditectCompareWidget.LABEL,
      defaultWidgetOptions: { area: 'main' },
      toggleCommandId: 'coditect.ai.compare.toggle',
    });
  }

  onStart(): void {
    void this.refresh(false);
  }

  async refresh(notify: boolean): Promise<void> {
    try {
      const list = await this.service.refreshModels();
      this.catalog.update(list);
      if (notify) {
        if (list.error) void this.messages.error(`Coditect models: ${list.error}`);
        else void this.messages.info(`Coditect: ${list.models.length} models available`);
      }
      for (const e of list.errors) console.warn(`[coditect-ai] ${e.provider}: ${e.message}`);
    } catch (err) {
      console.warn('[coditect-ai] refreshing models failed', err);
    }
  }

  override registerCommands(commands: CommandRegistry): void {
    super.registerCommands(commands);
    commands.registerCommand(CoditectAiCommands.REFRESH_MODELS, { execute: () => this.refresh(true) });
    commands.registerCommand(CoditectAiCommands.OPEN_COMPARE, { execute: () => this.openView({ activate: true, reveal: true }) });
  }
}
