/** Hugging Face repository config files: custom-code references and chat templates. */
export { parseHfConfig, parseHfConfigBytes, HF_CONFIG_NAMES, MAX_HF_CONFIG_BYTES, type HfConfigFacts, type AutoMapEntry } from './parse-hf-config.js';
