// UserDirectory: what digest authentication needs to know about users; src/store implements it.

/** The digest algorithms offered, strongest first (RFC 8760 §2.4 order). */
export type DigestAlgorithm = "SHA-256" | "MD5";

/** One user's stored credentials: HA1 = H(username ":" realm ":" password), never the password. */
export interface UserCredentials {
  username: string;
  /** The realm the HA1 values were computed for: the SIP domain. */
  realm: string;
  /** Lower-case hex MD5 HA1 (RFC 2617 §3.2.2.2). */
  ha1Md5: string;
  /** Lower-case hex SHA-256 HA1 (RFC 7616 §3.4.2). */
  ha1Sha256: string;
  /** May register AoRs of other users (third-party registration, RFC 3261 §10.2). */
  admin: boolean;
}

/** Lookup of credentials; synchronous because SQLite reads are. */
export interface UserDirectory {
  /** The credentials of `username` in `realm`, or null when there is no such user. */
  findUser(username: string, realm: string): UserCredentials | null;
  /** How many users exist (serve warns at start when there are none). */
  countUsers(): number;
}
