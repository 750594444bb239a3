// Errors as data: every error the product means to show carries a category (what kind of
// problem it is) and, for bad input, the fields at fault with what is wrong with each. The
// HTTP layer maps categories to status codes once (app/server/http-errors.ts), the CLI to exit
// codes once, and the UI puts each field problem on its field; no layer parses another's
// wording. Imported from every area: it imports nothing.

export type ErrorCategory =
  /** Input that can never succeed as given (422; fields name what to change). */
  | 'invalid'
  /** Input refused with upstream's own 400 wording (the extra-mount checks). */
  | 'bad-request'
  | 'not-found'
  /** The state forbids it now (another run holds the lock, a journal to sort out first). */
  | 'conflict'
  /** A dependency cannot answer now; trying again later may work (503). */
  | 'unavailable'
  /** Kubernetes refused our credentials or permissions (502). */
  | 'refused';

export interface FieldProblem {
  field: string;
  message: string;
  /** Where the value came from, for API answers: the JSON body (default) or the URL path. */
  where?: 'body' | 'path' | 'query';
}

export class AppError extends Error {
  constructor(
    readonly category: ErrorCategory,
    message: string,
    /** The fields at fault, all of them (not only the first). */
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input in named fields (422), one or many. */
export class FieldsError extends AppError {
  constructor(fields: FieldProblem[], message = fields.map((f) => f.message).join('; ')) {
    super('invalid', message, fields);
  }
}
