/**
 * Texts written for the model checks (the previous-token gate, the fp16 comparison): not in the training corpus,
 * one of prose and one of TypeScript.
 */
export const UNSEEN_TEXTS = [
  'The lighthouse keeper climbed the stairs every evening, counting the steps as his father had taught him. ' +
    'On the ninety-third step he stopped, because the window there looked out over the harbour, and he liked to ' +
    'see which boats had come home before the fog rolled in from the sea.',
  'export function movingAverage(values: number[], width: number): number[] {\n' +
    '  const out: number[] = [];\n  let sum = 0;\n' +
    '  for (let i = 0; i < values.length; i++) {\n    sum += values[i];\n' +
    '    if (i >= width) sum -= values[i - width];\n    if (i >= width - 1) out.push(sum / width);\n  }\n' +
    '  return out;\n}\n',
];
