/**
 * Running a model in two parts so the visible layer reaches the screen before the whole model has run
 * (progressive first paint). Part one computes every layer up to the visible one (its attention, queries, keys and
 * values) and the residual stream entering that layer; part two starts from that residual stream and computes the
 * visible layer and every later one. Nothing before the visible layer is computed twice; only the visible layer's
 * attention is (about a third of one layer's work).
 *
 * Where the parts meet is found from the graph alone, so it does not depend on the exporter's names:
 * - the per-layer tensors are the inputs of the Concat nodes that make the `attentions`, `queries`, `keys` and
 *   `values` outputs (one input per layer, in layer order, as the model contract stacks them);
 * - the cut is a tensor computed on the way to the visible layer such that the second part, started from it (and
 *   from the graph's own inputs), recomputes no MatMul/Gemm that the cut tensor itself depends on. Of those, the
 *   last in graph order is taken (the least work left for the second part). For our pre-LayerNorm transformers this
 *   is the residual stream entering the layer.
 * A graph where either cannot be found (other outputs, subgraphs, no single tensor that cuts every path) is not
 * split: it runs whole, as before.
 */
import type { GraphNode } from './onnxProto';
import { graphNodes, graphSignature, withInterface } from './onnxProto';

export const STACKED_OUTPUTS = ['attentions', 'queries', 'keys', 'values'] as const;
export type StackedOutput = (typeof STACKED_OUTPUTS)[number];

/** Per stacked output, the graph's tensor of each layer (index = layer). */
export type PerLayerTensors = Record<StackedOutput, string[]>;

export interface LayerSplit {
  layer: number;
  perLayer: PerLayerTensors;
  /** The tensor the second part starts from (an output of the first). */
  cut: string;
  /** Part one: outputs = the per-layer tensors of layers 0…layer, then `cut`. */
  first: { model: Uint8Array; outputs: string[] };
  /** Part two: inputs = the graph's inputs and `cut`; outputs = the per-layer tensors of layers layer+1…last. */
  second: { model: Uint8Array; outputs: string[] };
}

/** The per-layer tensors behind the stacked outputs, or why they cannot be found. */
export function perLayerTensors(nodes: readonly GraphNode[], layers: number): PerLayerTensors | string {
  const out = {} as PerLayerTensors;
  for (const name of STACKED_OUTPUTS) {
    const node = nodes.find((n) => n.outputs.includes(name));
    if (!node) return `no node produces "${name}"`;
    if (node.op !== 'Concat' || node.inputs.length !== layers) return `"${name}" is made by ${node.op} of ${node.inputs.length} tensors, not a Concat of ${layers} layers`;
    out[name] = [...node.inputs];
  }
  return out;
}

const HEAVY = new Set(['MatMul', 'Gemm', 'Conv', 'FusedMatMul']);

/** Indices of the nodes needed for `targets`, walking back from them and stopping at `stopAt`. */
function needed(nodes: readonly GraphNode[], producer: Map<string, number>, targets: readonly string[], stopAt: ReadonlySet<string>): Set<number> {
  const seen = new Set<number>();
  const stack = targets.filter((t) => !stopAt.has(t));
  const visitedNames = new Set(stack);
  while (stack.length) {
    const name = stack.pop() as string;
    const i = producer.get(name);
    if (i === undefined || seen.has(i)) continue;
    seen.add(i);
    for (const input of nodes[i].inputs) {
      if (!input || stopAt.has(input) || visitedNames.has(input)) continue;
      visitedNames.add(input);
      stack.push(input);
    }
  }
  return seen;
}

/** The cut tensor for `layer` (see the file comment), or null when no single tensor cuts the graph there. */
export function findCut(
  nodes: readonly GraphNode[],
  graphInputs: ReadonlySet<string>,
  perLayer: PerLayerTensors,
  layer: number,
  layers: number,
): string | null {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const atLayer = (l: number): string[] => STACKED_OUTPUTS.map((k) => perLayer[k][l]);
  const toVisible = needed(nodes, producer, atLayer(layer), new Set());
  const beforeVisible = layer > 0 ? needed(nodes, producer, atLayer(layer - 1), new Set()) : new Set<number>();
  const later: string[] = [];
  for (let l = layer; l < layers; l++) later.push(...atLayer(l));
  // Candidates in graph order, last first: the later the cut, the less the second part does.
  const candidates = [...toVisible].filter((i) => !beforeVisible.has(i)).sort((a, b) => b - a);
  const laterSet = new Set(later);
  for (const i of candidates) {
    for (const tensor of nodes[i].outputs) {
      if (!tensor || laterSet.has(tensor)) continue; // part two computes the layer's own tensors
      const feedsCut = needed(nodes, producer, [tensor], new Set());
      // A cut carries the text's activations: it is computed by a matrix product or from the token embedding (a
      // Gather that reads a graph input), never a constant or a shape (which would leave all the work to part two).
      const carriesActivations = [...feedsCut].some((j) => HEAVY.has(nodes[j].op) || (nodes[j].op === 'Gather' && nodes[j].inputs.some((x) => graphInputs.has(x))));
      if (!carriesActivations) continue;
      const second = needed(nodes, producer, later, new Set([tensor]));
      const recomputesHeavy = [...second].some((j) => feedsCut.has(j) && HEAVY.has(nodes[j].op));
      // The second part must also not reach back into the layers before the cut through another path.
      const reachesEarlier = [...second].some((j) => beforeVisible.has(j) && HEAVY.has(nodes[j].op));
      if (!recomputesHeavy && !reachesEarlier) return tensor;
    }
  }
  return null;
}

/** The two parts of `model` (a float32 graph) around `layer`, or why the graph runs whole. */
export function splitAtLayer(model: Uint8Array, layers: number, layer: number): LayerSplit | string {
  if (layer < 0 || layer >= layers) return `layer ${layer} is outside 0…${layers - 1}`;
  if (layer === layers - 1) return 'the visible layer is the last one: the first part would be the whole model';
  const nodes = graphNodes(model);
  const perLayer = perLayerTensors(nodes, layers);
  if (typeof perLayer === 'string') return perLayer;
  const cut = findCut(nodes, new Set(graphSignature(model).inputs), perLayer, layer, layers);
  if (!cut) return `no single tensor separates layer ${layer} from the layers before it`;
  const firstOutputs: string[] = [];
  for (let l = 0; l <= layer; l++) for (const k of STACKED_OUTPUTS) firstOutputs.push(perLayer[k][l]);
  firstOutputs.push(cut);
  const secondOutputs: string[] = [];
  for (let l = layer + 1; l < layers; l++) for (const k of STACKED_OUTPUTS) secondOutputs.push(perLayer[k][l]);
  const first = withInterface(model, [], firstOutputs);
  const second = withInterface(model, [cut], secondOutputs);
  if (!first || !second) return 'the graph has subgraphs, or the cut tensor is produced together with a tensor the second part needs';
  return { layer, perLayer, cut, first: { model: first, outputs: firstOutputs }, second: { model: second, outputs: secondOutputs } };
}
