// SqliteUserStore: digest credentials (HA1 per realm, never passwords) in the location database.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { UserCredentials, UserDirectory } from "../auth/user_directory.ts";
import { openDataDirectory } from "./open_database.ts";
import { writeTransaction } from "./write_transaction.ts";

/** What `importMany` did. */
export interface UserImportResult {
  added: number;
  updated: number;
}

const USER_COLUMNS = "username, realm, ha1_md5, ha1_sha256, admin";
const HEX_MD5 = /^[0-9a-f]{32}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * The users of digest authentication, one row per (realm, username). Implements the
 * `UserDirectory` the auth layer reads, plus the writes `registrar user` needs. Every write is
 * its own `BEGIN IMMEDIATE` transaction (`importMany` writes all users in one), so a running
 * server sees either the old or the new credentials, never a half-written set.
 *
 * @example
 * ```ts
 * const users = openUserStore("data");
 * users.add({ username: "bob", realm: "office.test", ha1Md5, ha1Sha256, admin: false }, Date.now());
 * users.findUser("bob", "office.test");
 * users.close();
 * ```
 */
export class SqliteUserStore implements UserDirectory {
  readonly #db: DatabaseSync;
  readonly #ownsDatabase: boolean;
  readonly #select: StatementSync;
  readonly #count: StatementSync;
  readonly #list: StatementSync;
  readonly #insert: StatementSync;
  readonly #update: StatementSync;
  readonly #updatePassword: StatementSync;
  readonly #delete: StatementSync;

  /** Wraps an open, migrated database; `ownsDatabase` makes `close()` close it. */
  constructor(db: DatabaseSync, options: { ownsDatabase?: boolean } = {}) {
    this.#db = db;
    this.#ownsDatabase = options.ownsDatabase ?? false;
    this.#select = db.prepare(
      `SELECT ${USER_COLUMNS} FROM users WHERE realm = ? AND username = ?`,
    );
    this.#count = db.prepare("SELECT count(*) AS n FROM users");
    this.#list = db.prepare(`SELECT ${USER_COLUMNS} FROM users ORDER BY realm, username`);
    this.#insert = db.prepare(
      `INSERT INTO users (${USER_COLUMNS}, created_at_ms, updated_at_ms) ` +
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.#update = db.prepare(
      "UPDATE users SET ha1_md5 = ?, ha1_sha256 = ?, admin = ?, updated_at_ms = ? " +
        "WHERE realm = ? AND username = ?",
    );
    this.#updatePassword = db.prepare(
      "UPDATE users SET ha1_md5 = ?, ha1_sha256 = ?, updated_at_ms = ? " +
        "WHERE realm = ? AND username = ?",
    );
    this.#delete = db.prepare("DELETE FROM users WHERE realm = ? AND username = ?");
  }

  /** See `UserDirectory.findUser`: usernames are case-sensitive, realms compared lower-cased. */
  findUser(username: string, realm: string): UserCredentials | null {
    const row = this.#select.get(realm.toLowerCase(), username);
    return row === undefined ? null : rowToUser(row);
  }

  /** See `UserDirectory.countUsers`. */
  countUsers(): number {
    return Number(this.#count.get()?.n ?? 0);
  }

  /** Every user, by realm then username. */
  list(): UserCredentials[] {
    return this.#list.all().map(rowToUser);
  }

  /** Adds a user; returns false (and writes nothing) when it exists already. */
  add(user: UserCredentials, nowMs: number): boolean {
    checkUser(user);
    return writeTransaction(this.#db, () => {
      if (this.#select.get(user.realm, user.username) !== undefined) return false;
      this.#insertRow(user, nowMs);
      return true;
    });
  }

  /** Replaces a user's HA1s and admin flag; returns false when there is no such user. */
  update(user: UserCredentials, nowMs: number): boolean {
    checkUser(user);
    return writeTransaction(this.#db, () => this.#updateRow(user, nowMs));
  }

  /** Removes a user; returns false when there was none. */
  remove(username: string, realm: string): boolean {
    return writeTransaction(
      this.#db,
      () => Number(this.#delete.run(realm.toLowerCase(), username).changes) > 0,
    );
  }

  /**
   * Adds or updates every user in one transaction: all are written or, if any write fails,
   * none. Each entry is checked before anything is written. With `keepAdmin`, users that exist
   * already keep their admin flag (only their HA1s change).
   */
  importMany(
    users: readonly UserCredentials[],
    nowMs: number,
    options: { keepAdmin?: boolean } = {},
  ): UserImportResult {
    for (const user of users) checkUser(user);
    return writeTransaction(this.#db, () => this.importManyInTransaction(users, nowMs, options));
  }

  /**
   * `importMany` for a caller that already holds the write transaction (e.g. `registrar import`,
   * which writes bindings and users together).
   */
  importManyInTransaction(
    users: readonly UserCredentials[],
    nowMs: number,
    options: { keepAdmin?: boolean } = {},
  ): UserImportResult {
    const result: UserImportResult = { added: 0, updated: 0 };
    for (const user of users) {
      checkUser(user);
      const updated = options.keepAdmin
        ? Number(
          this.#updatePassword.run(user.ha1Md5, user.ha1Sha256, nowMs, user.realm, user.username)
            .changes,
        ) > 0
        : this.#updateRow(user, nowMs);
      if (updated) result.updated++;
      else {
        this.#insertRow(user, nowMs);
        result.added++;
      }
    }
    return result;
  }

  /** Closes the database when this store owns it. */
  close(): void {
    if (this.#ownsDatabase) this.#db.close();
  }

  #insertRow(user: UserCredentials, nowMs: number): void {
    this.#insert.run(
      user.username,
      user.realm,
      user.ha1Md5,
      user.ha1Sha256,
      user.admin ? 1 : 0,
      nowMs,
      nowMs,
    );
  }

  #updateRow(user: UserCredentials, nowMs: number): boolean {
    const changes = this.#update.run(
      user.ha1Md5,
      user.ha1Sha256,
      user.admin ? 1 : 0,
      nowMs,
      user.realm,
      user.username,
    ).changes;
    return Number(changes) > 0;
  }
}

/**
 * Opens `<dataDir>/registrar.db` and returns a user store that owns the connection.
 *
 * @example
 * ```ts
 * const users = openUserStore("data");
 * console.log(users.countUsers());
 * users.close();
 * ```
 */
export function openUserStore(dataDir: string): SqliteUserStore {
  const { db } = openDataDirectory(dataDir);
  return new SqliteUserStore(db, { ownsDatabase: true });
}

/**
 * Why `user` cannot be stored, or null: empty or oddly formed names, a realm not lower-cased,
 * HA1 values that are not lower-case hex of the right length.
 */
export function userProblem(user: UserCredentials): string | null {
  if (typeof user.username !== "string" || !/^[^\s:@]+$/.test(user.username)) {
    return `invalid username "${String(user.username)}"`;
  }
  if (typeof user.realm !== "string" || !/^[^\s:@A-Z]+$/.test(user.realm)) {
    return `invalid realm "${String(user.realm)}" (expected a lower-case domain)`;
  }
  if (typeof user.ha1Md5 !== "string" || !HEX_MD5.test(user.ha1Md5)) {
    return `invalid MD5 HA1 for "${user.username}@${user.realm}" (expected 32 lower-case hex digits)`;
  }
  if (typeof user.ha1Sha256 !== "string" || !HEX_SHA256.test(user.ha1Sha256)) {
    return `invalid SHA-256 HA1 for "${user.username}@${user.realm}" ` +
      "(expected 64 lower-case hex digits)";
  }
  if (typeof user.admin !== "boolean") {
    return `invalid admin flag for "${user.username}@${user.realm}" (expected true or false)`;
  }
  return null;
}

function checkUser(user: UserCredentials): void {
  const problem = userProblem(user);
  if (problem !== null) throw new TypeError(`Cannot store user: ${problem}`);
}

function rowToUser(row: Record<string, unknown>): UserCredentials {
  return {
    username: row.username as string,
    realm: row.realm as string,
    ha1Md5: row.ha1_md5 as string,
    ha1Sha256: row.ha1_sha256 as string,
    admin: row.admin === 1,
  };
}
