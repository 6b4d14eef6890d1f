/**
 * The translation's own controls and status (shown only for a translation analysis on the left): where the model
 * stands ("writing…", done and why it stopped, or aligning the person's own translation), the direction
 * (→ 中文 / → English), and "Your own translation": a text the model is made to align instead of its own output
 * (teacher forcing). Both post `translate` (src/protocol/messages.ts TranslateMessage) and the host answers with
 * new analyses.
 *
 * Owns: its element, built once and updated in place (the model writes one analysis per token: a rebuild per step
 * would throw away what the person is typing), and the text typed into the box. A standalone page has no model to
 * run: the controls are disabled with the sentence why.
 */
import type { AnalysisStartMessage, WebviewToHost } from '../src/protocol/messages';
import { createButton } from './controls';
import { el } from './dom';
import { t } from './strings';
import { isTranslation } from './translation';

export interface TranslationBarDeps {
  host: 'vscode' | 'standalone';
  analysis(): AnalysisStartMessage | null;
  post(message: WebviewToHost): void;
}

type Disableable = HTMLElement & { disabled?: boolean };

export class TranslationBar {
  readonly el = el('section', 'translation-bar');
  private readonly statusEl = el('p', 'translation-status');
  private readonly toZh: Disableable;
  private readonly toEn: Disableable;
  private readonly box = el('textarea', 'own-target');
  private readonly apply: Disableable;
  private readonly useModel: Disableable;
  private readonly forcedNote = el('p', 'translation-forced');
  private readonly standaloneNote = el('p', 'note translation-standalone');

  constructor(private readonly deps: TranslationBarDeps) {
    this.el.setAttribute('aria-label', t('translation.heading'));
    this.el.hidden = true;
    this.statusEl.setAttribute('role', 'status');
    this.statusEl.setAttribute('aria-live', 'polite');

    const direction = el('div', 'translation-direction');
    direction.setAttribute('role', 'group');
    direction.setAttribute('aria-label', t('translation.direction'));
    const caption = el('span', 'control-caption');
    caption.textContent = t('translation.direction');
    this.toZh = createButton('ctl-to-zh', t('translation.toZh'), () => this.translate('zh', null));
    this.toEn = createButton('ctl-to-en', t('translation.toEn'), () => this.translate('en', null));
    direction.append(caption, this.toZh, this.toEn);

    const own = el('div', 'own-translation');
    const label = el('label', 'control-caption');
    label.textContent = t('translation.own');
    label.htmlFor = 'ctl-own-target';
    this.box.id = 'ctl-own-target';
    this.box.rows = 2;
    this.box.placeholder = t('translation.ownPlaceholder');
    this.box.spellcheck = false;
    // Enter aligns the text (Shift+Enter is a new line); an empty box goes back to the model's own translation.
    this.box.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submitOwn();
      }
    });
    this.apply = createButton('ctl-own-apply', t('translation.ownApply'), () => this.submitOwn(), 'primary');
    this.useModel = createButton('ctl-own-clear', t('translation.useModel'), () => {
      this.box.value = '';
      const to = this.current()?.to;
      if (to) this.translate(to, null);
    });
    const buttons = el('div', 'own-buttons');
    buttons.append(this.apply, this.useModel);
    own.append(label, this.box, buttons);
    this.el.append(this.statusEl, direction, own, this.forcedNote, this.standaloneNote);
  }

  private current(): NonNullable<AnalysisStartMessage['translation']> | null {
    const start = this.deps.analysis();
    return isTranslation(start) ? start.translation : null;
  }

  private submitOwn(): void {
    const tr = this.current();
    if (!tr) return;
    const text = this.box.value.trim();
    this.translate(tr.to, text === '' ? null : text);
  }

  private translate(to: 'zh' | 'en', target: string | null): void {
    if (this.deps.host !== 'vscode') return;
    this.deps.post({ type: 'translate', slot: 0, to, target });
  }

  /** Follows the analysis on the left (cheap: text and attributes only). */
  render(): void {
    const start = this.deps.analysis();
    if (!isTranslation(start)) {
      this.el.hidden = true;
      return;
    }
    const tr = start.translation;
    this.el.hidden = false;
    this.el.dataset.partial = String(tr.partial);
    this.el.dataset.forced = String(tr.forced);
    this.el.dataset.to = tr.to;
    const targetTokens = start.tokens.length - tr.sourceCount;
    const written = Math.max(0, targetTokens - 1); // the start tag is given, not written
    const direction = tr.to === 'zh' ? t('translation.dirToZh') : t('translation.dirToEn');
    let status: string;
    if (tr.partial) status = t('translation.writing', written);
    else if (tr.forced || tr.stop === 'forced') status = t('translation.doneForced', written);
    else if (tr.stop === 'length') status = t('translation.doneLength', written);
    else if (tr.stop === 'eos') status = t('translation.doneEos', written);
    else status = t('translation.done', written);
    this.statusEl.textContent = `${direction} · ${status}`;
    this.statusEl.dataset.state = tr.partial ? 'writing' : 'done';
    if (tr.stop) this.statusEl.dataset.stop = tr.stop;
    else delete this.statusEl.dataset.stop;

    const standalone = this.deps.host !== 'vscode';
    for (const [button, to] of [[this.toZh, 'zh'], [this.toEn, 'en']] as const) {
      const on = tr.to === to;
      button.setAttribute('appearance', on ? 'primary' : 'secondary');
      button.setAttribute('aria-pressed', String(on));
      setDisabled(button, standalone || on);
    }
    this.box.disabled = standalone;
    setDisabled(this.apply, standalone);
    setDisabled(this.useModel, standalone || !tr.forced);
    this.forcedNote.hidden = !tr.forced;
    this.forcedNote.textContent = tr.forced ? t('translation.forced') : '';
    this.standaloneNote.hidden = !standalone;
    this.standaloneNote.textContent = standalone ? t('translation.standalone') : '';
  }
}

function setDisabled(e: Disableable, disabled: boolean): void {
  if (disabled) e.setAttribute('disabled', '');
  else e.removeAttribute('disabled');
}
