import { DefaultLanguageModelAliasRegistry } from '@theia/ai-core/lib/browser/frontend-language-model-alias-registry';
import { inject, injectable } from '@theia/core/shared/inversify';
import { CoditectModelCatalog } from './coditect-model-catalog';

/**
 * Theia's aliases (`default/universal`, `default/code-completion`, …) name models of specific
 * vendors. Whatever a tenant configured, each alias falls back to the gateway's models (in the
 * gateway's order) when none of its defaults is offered; a model chosen by the user still wins.
 */
@injectable()
export class CoditectLanguageModelAliasRegistry extends DefaultLanguageModelAliasRegistry {
  @inject(CoditectModelCatalog) protected readonly catalog!: CoditectModelCatalog;

  override resolveAlias(id: string): string[] | undefined {
    const ids = super.resolveAlias(id);
    if (!ids) return ids;
    return [...ids, ...this.catalog.modelIds.filter(m => !ids.includes(m))];
  }
}
