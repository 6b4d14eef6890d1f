/**
 * What the model says, beside the attention: the top-5 next tokens of the focused token (causal model), the
 * encoder's top-5 fillers for a token it is asked to mask (M or the button), a temperature control, and the
 * continuation of the text with the causal model (N tokens, greedy or sampled, stoppable with Escape; the
 * generated tokens arrive as analyses, marked in the text view; inserting them is an explicit button).
 *
 * Owns: the predictions received (per analysis, token and temperature), the temperature and generation settings,
 * and the continuation's state as the host reports it. Everything is computed by the host on request; the
 * standalone page has no model, so there the controls are disabled with one sentence why.
 */
import type { AnalysisStartMessage, AttentionChange, GenerationStateMessage, HeadRef, PredictionItem, PredictionsMessage, WebviewToHost } from '../src/protocol/messages';
import { el } from './dom';
import { t } from './strings';

export interface PredictionsDeps {
  host: 'vscode' | 'standalone';
  /** The analysis of slot 0 on screen (predictions are for the view, not the compare pane). */
  analysis(): AnalysisStartMessage | null;
  focusedToken(): number | null;
  /** The layer and head on screen (the encoder's attention change after masking is shown for it). */
  visibleHead(): HeadRef;
  post(message: WebviewToHost): void;
}

const TOP_K = 5;

/** A token as a list shows it: spaces and line breaks made visible, so " the" and "the" differ on screen. */
export function visibleToken(text: string): string {
  return text.replace(/ /g, '␣').replace(/\n/g, '⏎').replace(/\t/g, '⇥');
}

const percent = (p: number): string => (p >= 0.001 ? `${(p * 100).toFixed(1)}%` : p > 0 ? `${(p * 100).toExponential(1)}%` : '0%');

export class PredictionsPanel {
  readonly el = el('section', 'predictions');
  private readonly received = new Map<string, PredictionsMessage>();
  private asked = new Set<string>();
  /** The token whose fillers the person asked for (encoder), in the analysis `maskedFor`. */
  private masked: { generation: number; token: number } | null = null;
  private temperature = 1;
  private generation = { tokens: 10, topK: 0, seed: 0, greedy: false };
  private genState: GenerationStateMessage | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly deps: PredictionsDeps) {
    this.el.setAttribute('aria-label', t('predict.heading'));
    document.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Received answers are keyed by analysis, token, temperature and — for the encoder's fillers — the head. */
  private key(generation: number, token: number, head?: HeadRef): string {
    return `${generation}:${token}:${this.temperature}${head ? `:${head.layer}.${head.head}` : ''}`;
  }

  /** The head a request names: the visible one for the encoder (its attention change), none for next tokens. */
  private headFor(start: AnalysisStartMessage): HeadRef | undefined {
    if (start.model.kind === 'causal') return undefined;
    const h = this.deps.visibleHead();
    return { layer: h.layer, head: h.head };
  }

  /** The token the list is about: the masked one (encoder) or the focused one (causal). */
  private subject(): { start: AnalysisStartMessage; token: number } | null {
    const start = this.deps.analysis();
    if (!start) return null;
    if (start.model.kind !== 'causal') {
      return this.masked && this.masked.generation === start.generation && this.masked.token < start.tokens.length ? { start, token: this.masked.token } : null;
    }
    const token = this.deps.focusedToken();
    return token === null || token >= start.tokens.length ? null : { start, token };
  }

  /** The focused token changed: ask for its predictions (causal), after a short pause so a sweep asks once. */
  focusChanged(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.request();
      this.render();
    }, 60);
  }

  private request(): void {
    const s = this.subject();
    // While a continuation runs every step is a new analysis: asking each for logits would slow the generation.
    // The standalone page answers only from what it recorded (short texts), at temperature 1.
    if (!s || (this.deps.host !== 'vscode' && !s.start.recordedPredictions) || this.genState?.state === 'running') return;
    const head = this.headFor(s.start);
    const key = this.key(s.start.generation, s.token, head);
    if (this.received.has(key) || this.asked.has(key)) return;
    this.asked.add(key);
    this.deps.post({ type: 'requestPredictions', generation: s.start.generation, slot: 0, token: s.token, temperature: this.temperature, k: TOP_K, ...(head ? { head } : {}) });
  }

  /** Mask the focused token (encoder): its fillers are asked for. */
  maskFocused(): void {
    const start = this.deps.analysis();
    const token = this.deps.focusedToken();
    if (!start || start.model.kind !== 'encoder' || token === null) return;
    this.masked = { generation: start.generation, token };
    this.request();
    this.render();
  }

  onPredictions(m: PredictionsMessage): void {
    if (m.slot !== 0 || m.generation !== this.deps.analysis()?.generation) return; // stale
    this.received.set(`${m.generation}:${m.token}:${m.temperature}${m.head ? `:${m.head.layer}.${m.head.head}` : ''}`, m);
    this.render();
  }

  onGenerationState(m: GenerationStateMessage): void {
    this.genState = m;
    this.request();
    this.render();
  }

  /** A new analysis: predictions of older ones are dropped (they describe other tokens). */
  analysisChanged(): void {
    const generation = this.deps.analysis()?.generation;
    for (const k of [...this.received.keys()]) if (!k.startsWith(`${generation}:`)) this.received.delete(k);
    this.asked = new Set([...this.asked].filter((k) => k.startsWith(`${generation}:`)));
    this.request();
    this.render();
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    if (e.key === 'Escape' && this.genState?.state === 'running') {
      this.deps.post({ type: 'cancelGeneration' });
      return;
    }
    // M masks only from a token or the page itself: typed into a field or a dropdown it is just a letter.
    const onToken = !target || target === document.body || target.classList.contains('token');
    if ((e.key === 'm' || e.key === 'M') && onToken && !e.ctrlKey && !e.metaKey && !e.altKey) this.maskFocused();
  }

  render(): void {
    const start = this.deps.analysis();
    this.el.replaceChildren();
    // A translation model predicts by translating (translationBar.ts): no next-token or filler list here.
    if (!start || start.model.kind === 'encoder-decoder') return;
    const standalone = this.deps.host !== 'vscode';
    const recorded = standalone && start.recordedPredictions === true;
    // The encoder's answer depends on the visible head (its attention change): a new head asks again.
    if (start.model.kind !== 'causal') this.request();
    this.el.append(this.predictionBlock(start, standalone && !recorded), this.temperatureRow(standalone));
    if (start.model.kind === 'causal' || start.firstGenerated !== undefined) this.el.append(this.generationBlock(standalone));
    if (standalone) {
      const note = el('p', 'pred-note pred-standalone');
      note.textContent = recorded ? t('predict.recorded') : t('predict.standalone');
      this.el.append(note);
    }
  }

  private predictionBlock(start: AnalysisStartMessage, standalone: boolean): HTMLElement {
    const box = el('div', 'pred-block');
    const heading = el('div', 'pred-heading');
    box.append(heading);
    const causal = start.model.kind === 'causal';
    if (!causal) {
      const button = el('button', 'pred-button pred-mask');
      button.type = 'button';
      button.textContent = t('predict.mask');
      button.disabled = standalone || this.deps.focusedToken() === null;
      button.addEventListener('click', () => this.maskFocused());
      box.append(button);
    }
    const s = this.subject();
    if (!s) {
      heading.textContent = causal ? t('predict.hoverHint') : t('predict.maskHint');
      return box;
    }
    const tokenText = visibleToken(start.tokens[s.token].text);
    heading.textContent = causal ? t('predict.next', tokenText) : t('predict.fill', tokenText);
    if (standalone) return box;
    const m = this.received.get(this.key(start.generation, s.token, this.headFor(start)));
    if (!m) {
      const wait = el('div', 'pred-loading');
      wait.textContent = t('predict.loading');
      box.append(wait);
      return box;
    }
    if (m.unavailable) {
      const why = el('div', 'pred-unavailable');
      why.textContent = t('predict.unavailable', m.unavailable);
      box.append(why);
      return box;
    }
    const list = el('ol', 'pred-list');
    const max = m.top[0]?.p ?? 1;
    for (const item of m.top) list.append(this.row(item, max));
    box.append(list);
    if (m.actual) {
      const actual = el('div', 'pred-actual');
      actual.textContent = (causal ? t('predict.actualNext', visibleToken(m.actual.text), percent(m.actual.p)) : t('predict.actualFill', visibleToken(m.actual.text), percent(m.actual.p)));
      box.append(actual);
    }
    if (m.attentionChange && m.head) box.append(this.changeBlock(start, s.token, m.head, m.attentionChange));
    return box;
  }

  /** The tokens whose attention from and to the masked token changed most, before → after (at most five each). */
  private changeBlock(start: AnalysisStartMessage, token: number, head: HeadRef, change: AttentionChange): HTMLElement {
    const box = el('div', 'pred-change');
    const heading = el('div', 'pred-change-heading');
    heading.textContent = t('predict.changeHeading', head.layer, head.head);
    const note = el('p', 'pred-note');
    note.textContent = t('predict.changeNote');
    box.append(heading, note);
    for (const [direction, label, values] of [
      ['from', t('predict.changeFrom'), change.from],
      ['to', t('predict.changeTo'), change.to],
    ] as const) {
      const title = el('div', 'pred-change-title');
      title.textContent = label;
      const list = el('ol', 'pred-change-list');
      list.dataset.direction = direction;
      const order = values.before
        .map((b, i) => ({ i, d: Math.abs(values.after[i] - b) }))
        .filter((x) => x.i < start.tokens.length)
        .sort((a, b) => b.d - a.d || a.i - b.i)
        .slice(0, TOP_K);
      for (const { i } of order) {
        const li = el('li', 'pred-change-item');
        li.dataset.tokenIndex = String(i);
        li.dataset.before = String(values.before[i]);
        li.dataset.after = String(values.after[i]);
        const text = el('span', 'pred-text');
        text.textContent = visibleToken(start.tokens[i].text) + (i === token ? ' (<mask>)' : '');
        const value = el('span', 'pred-p');
        value.textContent = `${values.before[i].toFixed(3)} → ${values.after[i].toFixed(3)}`;
        li.append(text, value);
        list.append(li);
      }
      box.append(title, list);
    }
    return box;
  }

  private row(item: PredictionItem, max: number): HTMLElement {
    const li = el('li', 'pred-item');
    const text = el('span', 'pred-text');
    text.textContent = visibleToken(item.text);
    const bar = el('span', 'pred-bar');
    const fill = el('span', 'pred-bar-fill');
    fill.style.width = `${Math.max(1, Math.round((item.p / max) * 100))}%`;
    bar.append(fill);
    const p = el('span', 'pred-p');
    p.textContent = percent(item.p);
    li.dataset.tokenId = String(item.id);
    li.dataset.p = String(item.p);
    li.append(text, bar, p);
    return li;
  }

  private temperatureRow(standalone: boolean): HTMLElement {
    const row = el('div', 'pred-temperature');
    const label = el('label', 'pred-label');
    label.textContent = t('predict.temperature');
    const input = el('input', 'pred-range');
    input.type = 'range';
    input.min = '0.1';
    input.max = '2';
    input.step = '0.1';
    input.value = String(this.temperature);
    input.disabled = standalone;
    input.setAttribute('aria-label', t('predict.temperature'));
    const value = el('output', 'pred-value');
    value.textContent = this.temperature.toFixed(1);
    input.addEventListener('input', () => {
      value.textContent = Number(input.value).toFixed(1);
    });
    input.addEventListener('change', () => {
      this.temperature = Number(input.value);
      this.request();
      this.render();
    });
    label.append(input, value);
    const note = el('p', 'pred-note');
    note.textContent = t('predict.temperatureNote');
    row.append(label, note);
    return row;
  }

  private numberInput(className: string, label: string, value: number, min: number, max: number, disabled: boolean, set: (v: number) => void): HTMLElement {
    const wrap = el('label', 'pred-label');
    wrap.textContent = label;
    const input = el('input', `pred-number ${className}`);
    input.type = 'number';
    input.min = String(min);
    input.max = String(max);
    input.value = String(value);
    input.disabled = disabled;
    input.addEventListener('change', () => {
      const v = Math.floor(Number(input.value));
      if (Number.isFinite(v)) set(Math.max(min, Math.min(max, v)));
    });
    wrap.append(input);
    return wrap;
  }

  private generationBlock(standalone: boolean): HTMLElement {
    const box = el('div', 'gen-block');
    const heading = el('div', 'pred-heading');
    heading.textContent = t('generate.heading');
    const g = this.generation;
    const running = this.genState?.state === 'running';
    const controls = el('div', 'gen-controls');
    controls.append(
      this.numberInput('gen-tokens', t('generate.tokens'), g.tokens, 1, 64, standalone, (v) => (g.tokens = v)),
      this.numberInput('gen-topk', t('generate.topK'), g.topK, 0, 1000, standalone, (v) => (g.topK = v)),
      this.numberInput('gen-seed', t('generate.seed'), g.seed, 0, 2 ** 31 - 1, standalone, (v) => (g.seed = v)),
    );
    const greedy = el('label', 'pred-label');
    const check = el('input', 'gen-greedy');
    check.type = 'checkbox';
    check.checked = g.greedy;
    check.disabled = standalone;
    check.addEventListener('change', () => (g.greedy = check.checked));
    greedy.append(check, document.createTextNode(t('generate.greedy')));
    const startButton = el('button', 'pred-button gen-start');
    startButton.type = 'button';
    startButton.textContent = t('generate.start');
    startButton.disabled = standalone || running;
    startButton.addEventListener('click', () => {
      this.deps.post({ type: 'generate', tokens: g.tokens, temperature: g.greedy ? 0 : this.temperature, topK: g.topK, seed: g.seed });
    });
    const stop = el('button', 'pred-button gen-stop');
    stop.type = 'button';
    stop.textContent = t('generate.stop');
    stop.disabled = !running;
    stop.addEventListener('click', () => this.deps.post({ type: 'cancelGeneration' }));
    const insert = el('button', 'pred-button gen-insert');
    insert.type = 'button';
    insert.textContent = t('generate.insert');
    insert.disabled = standalone || running || !this.genState?.text;
    insert.addEventListener('click', () => this.deps.post({ type: 'insertGenerated' }));
    controls.append(greedy, startButton, stop, insert);
    const status = el('div', 'gen-status');
    status.setAttribute('role', 'status');
    const s = this.genState;
    if (s) {
      status.dataset.state = s.state;
      status.textContent =
        s.state === 'running'
          ? t('generate.running', s.generated, s.total)
          : s.state === 'done'
            ? t('generate.done', s.generated)
            : s.state === 'cancelled'
              ? t('generate.cancelled', s.generated)
              : t('generate.error', s.message ?? '');
    }
    const note = el('p', 'pred-note');
    note.textContent = t('generate.noCache');
    box.append(heading, controls, status, note);
    return box;
  }
}
