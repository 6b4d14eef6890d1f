/**
 * What VS Code needs from the extension at activation, in a module of its own so that the small activation bundle
 * (src/extension.ts → dist/extension.js) can name it without importing the rest: the commands package.json
 * contributes (`contributes.commands`; a handler must exist for each once activated) and the panel view type the
 * serializer restores (activation event `onWebviewPanel:attentionLens.panel`). The lazily loaded bundle
 * (src/extensionMain.ts) implements every `CommandId` and checks that its panels carry `RESTORED_PANEL_VIEW_TYPE`.
 */
export const COMMAND_IDS = [
  'attentionLens.showSelection',
  'attentionLens.showSelectionInNewPanel',
  'attentionLens.compare',
  'attentionLens.continueText',
  'attentionLens.translateSelection',
  'attentionLens.insertGenerated',
  'attentionLens.stopGeneration',
  'attentionLens.chooseModel',
  'attentionLens.openModelFolder',
  'attentionLens.exportData',
  'attentionLens.exportHtml',
  'attentionLens.clearOverlay',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

/** panelController's PANEL_VIEW_TYPE, which the activation bundle must not import (it pulls in the panel). */
export const RESTORED_PANEL_VIEW_TYPE = 'attentionLens.panel';
