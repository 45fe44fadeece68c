/**
 * Jinja chat templates: static analysis of the AST (`@huggingface/jinja` parser), never rendering.
 * Shared by GGUF (`tokenizer.chat_template`) and Hugging Face repositories (`tokenizer_config.json`).
 */
export {
  DEFAULT_CHAT_TEMPLATE_LIMITS,
  analyseChatTemplate,
  type ChatTemplateFacts,
  type ChatTemplateHazard,
  type ChatTemplateHazardKind,
  type ChatTemplateLimits,
} from './chat-template.js';
