import { AbstractStreamParsingChatAgent } from '@theia/ai-chat/lib/common/chat-agents';
import { LanguageModelRequirement } from '@theia/ai-core';
import { injectable } from '@theia/core/shared/inversify';

export const CODITECT_CHAT_AGENT_ID = 'Coditect';

/**
 * The IDE's default chat agent: answers with whichever gateway model is chosen in the chat
 * input (or the `default/universal` alias, which falls back to the first gateway model).
 */
@injectable()
export class CoditectChatAgent extends AbstractStreamParsingChatAgent {
  id = CODITECT_CHAT_AGENT_ID;
  name = 'Coditect';
  description = 'Chat with any model configured in Coditect (Models & keys), through the Coditect gateway.';
  iconClass = 'codicon codicon-sparkle';
  languageModelRequirements: LanguageModelRequirement[] = [{ purpose: 'chat', identifier: 'default/universal' }];
  protected defaultLanguageModelPurpose = 'chat';
  override tags = ['Chat'];
  override variables = ['selectedText', 'currentRelativeFilePath'];
  protected override systemPromptId = 'coditect-chat-system';
  override prompts = [{
    id: 'coditect-chat-system',
    defaultVariant: {
      id: 'coditect-chat-system-default',
      template: 'You are Coditect, a helpful programming assistant inside a browser IDE. Answer concisely, use Markdown, and put code in fenced blocks with a language tag.',
    },
  }];
}
