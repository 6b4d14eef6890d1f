/**
 * The panel's controls. This is the ONLY module that touches `@vscode/webview-ui-toolkit` (deprecated upstream
 * in 2025 but working); moving to its successor `@vscode-elements/elements` should change this file alone.
 * The toolkit's components style themselves with constructable stylesheets, which the panel's CSP allows.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeRadio,
  vsCodeRadioGroup,
} from '@vscode/webview-ui-toolkit';
import { defaultMask, whatIfMask } from '../src/common/mask';
import type { AttentionSetId, ExportFormat, MaskKind, ModelInfo } from '../src/protocol/messages';
import { t } from './strings';
import type { Aggregate, Direction, ViewId } from './viewTypes';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeCheckbox(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodeRadio(),
    vsCodeRadioGroup(),
  );
}

export interface Choice {
  value: string;
  label: string;
  /** Shown but not selectable (what the model cannot give); `title` says why. */
  disabled?: boolean;
  title?: string;
}

/** The toolkit elements carry `value`/`checked` properties that TypeScript does not know about. */
type ValueElement = HTMLElement & { value: string };
type CheckElement = HTMLElement & { checked: boolean };

/** A labelled dropdown. `onChange` receives the chosen option's value. */
export function createDropdown(
  id: string,
  label: string,
  choices: readonly Choice[],
  value: string,
  onChange: (value: string) => void,
): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'control';
  const caption = document.createElement('span');
  caption.className = 'control-caption';
  caption.textContent = label;
  const dropdown = document.createElement('vscode-dropdown') as ValueElement;
  dropdown.id = id;
  dropdown.setAttribute('aria-label', label);
  for (const c of choices) {
    const option = document.createElement('vscode-option') as ValueElement;
    option.setAttribute('value', c.value);
    option.textContent = c.label;
    if (c.value === value) option.setAttribute('selected', '');
    if (c.disabled) option.setAttribute('disabled', '');
    if (c.title) option.title = c.title;
    dropdown.append(option);
  }
  dropdown.addEventListener('change', () => onChange(dropdown.value));
  wrap.append(caption, dropdown);
  return wrap;
}

export function setDropdownValue(root: ParentNode, id: string, value: string): void {
  const el = root.querySelector<ValueElement>(`#${CSS.escape(id)}`);
  if (el && el.value !== value) el.value = value;
}

export function createCheckbox(
  id: string,
  label: string,
  checked: boolean,
  onChange: (checked: boolean) => void,
  disabled = false,
): HTMLElement {
  const box = document.createElement('vscode-checkbox') as CheckElement;
  box.id = id;
  box.textContent = label;
  if (checked) box.setAttribute('checked', '');
  if (disabled) box.setAttribute('disabled', '');
  box.addEventListener('change', () => onChange(box.checked));
  return box;
}

export function setCheckboxValue(root: ParentNode, id: string, checked: boolean): void {
  const el = root.querySelector<CheckElement>(`#${CSS.escape(id)}`);
  if (el && el.checked !== checked) el.checked = checked;
}

export function createButton(
  id: string,
  label: string,
  onClick: () => void,
  appearance: 'primary' | 'secondary' | 'icon' = 'secondary',
): HTMLElement {
  const button = document.createElement('vscode-button');
  button.id = id;
  button.textContent = label;
  button.setAttribute('appearance', appearance);
  button.addEventListener('click', onClick);
  return button;
}

export function createRadioGroup(
  id: string,
  label: string,
  choices: readonly Choice[],
  value: string,
  onChange: (value: string) => void,
): HTMLElement {
  const group = document.createElement('vscode-radio-group') as ValueElement;
  group.id = id;
  group.setAttribute('aria-label', label);
  const caption = document.createElement('label');
  caption.setAttribute('slot', 'label');
  caption.textContent = label;
  group.append(caption);
  for (const c of choices) {
    const radio = document.createElement('vscode-radio') as ValueElement;
    radio.setAttribute('value', c.value);
    radio.id = `${id}-${c.value}`;
    radio.textContent = c.label;
    if (c.value === value) radio.setAttribute('checked', '');
    group.append(radio);
  }
  group.addEventListener('change', () => {
    if (group.value) onChange(group.value);
  });
  return group;
}

export function setRadioValue(root: ParentNode, id: string, value: string): void {
  const el = root.querySelector<ValueElement>(`#${CSS.escape(id)}`);
  if (el && el.value !== value) el.value = value;
}

// ───────────────────────────── the toolbar ─────────────────────────────

export interface ToolbarValues {
  modelId: string;
  maskChoice: 'default' | 'whatIf';
  /** A translation: the attention shown; `layer` is then the layer within it. */
  attentionSet: AttentionSetId;
  layer: number;
  head: number;
  aggregate: Aggregate;
  wordLevel: boolean;
  direction: Direction;
  scale: boolean;
  view: ViewId;
}

export interface ToolbarSpec {
  models: readonly ModelInfo[];
  model: ModelInfo;
  views: readonly ViewId[];
  /** A translation analysis: the model's own layer count per attention (the set selector is shown); else null. */
  layersPerSet: number | null;
}

export interface ToolbarEvents {
  onModel(modelId: string): void;
  onMask(choice: 'default' | 'whatIf'): void;
  onSet(set: AttentionSetId): void;
  /** The layer as the selector offers it: within the attention set for a translation. */
  onLayer(layer: number): void;
  onHead(head: number): void;
  onAggregate(aggregate: Aggregate): void;
  onWordLevel(on: boolean): void;
  onDirection(direction: Direction): void;
  onScale(on: boolean): void;
  onView(view: ViewId): void;
  onExport(format: ExportFormat): void;
}

/** The localised name of a mask (toolbar, status line, compare-mode pane titles). */
export const maskLabel = (mask: MaskKind): string => t(mask === 'causal' ? 'mask.causal' : 'mask.full');
const otherMask = (model: ModelInfo): string => maskLabel(whatIfMask(model.kind));
const ownMask = (model: ModelInfo): string => maskLabel(defaultMask(model.kind));

/** Structure key: the toolbar is rebuilt only when this changes, so an open dropdown is not torn down by data. */
export function toolbarKey(spec: ToolbarSpec): string {
  return JSON.stringify([spec.models.map((m) => m.id), spec.model.id, spec.model.layers, spec.model.heads, spec.model.capabilities, spec.views, spec.layersPerSet]);
}

export function buildToolbar(root: HTMLElement, spec: ToolbarSpec, v: ToolbarValues, ev: ToolbarEvents): void {
  root.replaceChildren();
  const m = spec.model;
  const row0 = document.createElement('div');
  row0.className = 'toolbar-row attention-sets';
  if (spec.layersPerSet !== null) {
    // A translation's three attentions (BertViz's selector): every view follows the one chosen.
    row0.append(
      createRadioGroup(
        'ctl-set',
        t('control.attention'),
        (['encoder', 'decoder', 'cross'] as const).map((x) => ({ value: x, label: t(`set.${x}`) })),
        v.attentionSet,
        (x) => ev.onSet(x as AttentionSetId),
      ),
    );
  }
  const row1 = document.createElement('div');
  row1.className = 'toolbar-row';
  row1.append(
    createDropdown('ctl-model', t('control.model'), spec.models.map((x) => ({ value: x.id, label: x.displayName })), v.modelId, ev.onModel),
    createDropdown(
      'ctl-mask',
      t('control.mask'),
      [
        { value: 'default', label: t('control.mask.default', ownMask(m)) },
        // A graph that builds its mask inside (a decoder export) cannot take ours: the what-if is off, saying why.
        m.capabilities?.anyMask === false
          ? { value: 'whatIf', label: t('control.mask.whatIf', otherMask(m)), disabled: true, title: t('control.mask.unavailable') }
          : { value: 'whatIf', label: t('control.mask.whatIf', otherMask(m)) },
      ],
      v.maskChoice,
      (x) => ev.onMask(x === 'whatIf' ? 'whatIf' : 'default'),
    ),
    createDropdown(
      'ctl-layer',
      t('control.layer'),
      Array.from({ length: spec.layersPerSet ?? m.layers }, (_, i) => ({ value: String(i), label: String(i + 1) })),
      String(v.layer),
      (x) => ev.onLayer(Number(x)),
    ),
    createDropdown(
      'ctl-head',
      t('control.head'),
      Array.from({ length: m.heads }, (_, i) => ({ value: String(i), label: String(i + 1) })),
      String(v.head),
      (x) => ev.onHead(Number(x)),
    ),
    createDropdown(
      'ctl-aggregate',
      t('control.aggregate'),
      (['head', 'mean', 'max', 'rollout'] as const).map((a) =>
        a === 'rollout' && spec.layersPerSet !== null && v.attentionSet === 'cross'
          ? { value: a, label: t(`aggregate.${a}`), disabled: true, title: t('aggregate.rolloutCross') }
          : { value: a, label: t(`aggregate.${a}`) },
      ),
      v.aggregate,
      (x) => ev.onAggregate(x as Aggregate),
    ),
    createDropdown(
      'ctl-direction',
      t('control.direction'),
      [
        { value: 'to', label: t('direction.to') },
        { value: 'from', label: t('direction.from') },
      ],
      v.direction,
      (x) => ev.onDirection(x === 'from' ? 'from' : 'to'),
    ),
  );
  const row2 = document.createElement('div');
  row2.className = 'toolbar-row';
  row2.append(
    createCheckbox('ctl-word', t('control.wordLevel'), v.wordLevel, ev.onWordLevel),
    createCheckbox('ctl-scale', t('control.scale'), v.scale, ev.onScale),
  );
  const exports = document.createElement('div');
  exports.className = 'export-buttons';
  exports.setAttribute('role', 'group');
  exports.setAttribute('aria-label', t('export.label'));
  const caption = document.createElement('span');
  caption.className = 'control-caption';
  caption.textContent = t('export.label');
  exports.append(caption);
  for (const f of ['png', 'svg', 'json', 'html'] as const) {
    exports.append(createButton(`ctl-export-${f}`, t(`export.${f}`), () => ev.onExport(f)));
  }
  row2.append(exports);
  const row3 = document.createElement('div');
  row3.className = 'toolbar-row';
  row3.append(
    createRadioGroup(
      'ctl-view',
      t('control.view'),
      spec.views.map((x) => ({ value: x, label: t(`view.${x}`) })),
      v.view,
      (x) => ev.onView(x as ViewId),
    ),
  );
  if (row0.childElementCount > 0) root.append(row0);
  root.append(row1, row2, row3);
  if (spec.layersPerSet !== null) {
    // Rollout multiplies a stack's layers (queries and keys are the same tokens): under cross-attention it is off.
    const note = document.createElement('p');
    note.className = 'note rollout-note';
    note.id = 'ctl-rollout-note';
    note.textContent = t('aggregate.rolloutCross');
    note.hidden = v.attentionSet !== 'cross';
    root.append(note);
  }
  if (m.capabilities?.anyMask === false) {
    const note = document.createElement('p');
    note.className = 'note capability-note';
    note.textContent = t('control.mask.unavailable');
    root.append(note);
  }
  updateToolbar(root, v);
}

/** Reflect state changes made elsewhere (keyboard, grid clicks, restore) without rebuilding. */
export function updateToolbar(root: HTMLElement, v: ToolbarValues): void {
  setDropdownValue(root, 'ctl-model', v.modelId);
  setDropdownValue(root, 'ctl-mask', v.maskChoice);
  setDropdownValue(root, 'ctl-layer', String(v.layer));
  setDropdownValue(root, 'ctl-head', String(v.head));
  setDropdownValue(root, 'ctl-aggregate', v.aggregate);
  setDropdownValue(root, 'ctl-direction', v.direction);
  setCheckboxValue(root, 'ctl-word', v.wordLevel);
  setCheckboxValue(root, 'ctl-scale', v.scale);
  setRadioValue(root, 'ctl-view', v.view);
  const set = root.querySelector('#ctl-set');
  if (set) {
    setRadioValue(root, 'ctl-set', v.attentionSet);
    const cross = v.attentionSet === 'cross';
    const rollout = root.querySelector<HTMLElement>('#ctl-aggregate vscode-option[value="rollout"]');
    if (rollout) {
      rollout.toggleAttribute('disabled', cross);
      rollout.title = cross ? t('aggregate.rolloutCross') : '';
    }
    const note = root.querySelector<HTMLElement>('#ctl-rollout-note');
    if (note) note.hidden = !cross;
    // Under cross-attention the hovered token's side decides the direction (webview/translation.ts).
    const direction = root.querySelector<HTMLElement>('#ctl-direction');
    if (direction) {
      direction.toggleAttribute('disabled', cross);
      direction.title = cross ? t('direction.crossSide') : '';
    }
  }
}
