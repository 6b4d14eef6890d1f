/**
 * Errors for a Hugging Face tokenizer folder. They reuse the project's TokenizerFormatError (file, field, detail),
 * so a caller that already reports a bad bundled tokenizer.json reports these the same way.
 */
import { TokenizerFormatError } from '../tokenizer/byteLevelBpe';

export { TokenizerFormatError };

/** A component of tokenizer.json that this extension cannot align offsets for. */
export class UnsupportedComponentError extends TokenizerFormatError {
  constructor(file: string, field: string, detail: string) {
    super(file, field, detail);
    this.name = 'UnsupportedComponentError';
  }
}

/** A regular expression in the file that could take unbounded time on some text. */
export class UnsafePatternError extends TokenizerFormatError {
  constructor(
    file: string,
    field: string,
    readonly pattern: string,
    detail: string,
  ) {
    super(file, field, `pattern ${JSON.stringify(pattern.length > 120 ? pattern.slice(0, 120) + '…' : pattern)} ${detail}`);
    this.name = 'UnsafePatternError';
  }
}
