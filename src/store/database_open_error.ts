// DatabaseOpenError: why the location database could not be opened, in one readable line.

/**
 * Thrown by `openDatabase` and `openDataDirectory` when the file cannot be created, opened,
 * configured or migrated. The message is meant for an operator: it names the file and the reason
 * (`Cannot open database "data/registrar.db": permission denied`); the original error is `cause`.
 */
export class DatabaseOpenError extends Error {
  /** The database file concerned, as given. */
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot open database "${path}": ${reason}`, options);
    this.name = "DatabaseOpenError";
    this.path = path;
  }
}
