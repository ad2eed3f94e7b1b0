/**
 * Errors a user can fix (bad file, wrong passphrase, bad config) carry a one-line message and an exit
 * code; the CLI prints them without a stack trace. Anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  readonly exitCode: number = 1;
  override name = "UserError";
}

/** Wrong command-line usage: exit code 2, as commander and POSIX tools do. */
export class UsageError extends UserError {
  override readonly exitCode: number = 2;
  override name = "UsageError";
}

/** Something named does not exist (no incident 7, no attack 3): the server answers 404. */
export class NotFoundError extends UserError {
  override name = "NotFoundError";
}

/** The request is fine but the state forbids it now (still processing, not clustered): 409. */
export class ConflictError extends UserError {
  override name = "ConflictError";
}

/** Allowed in principle, not with this setup (plain IPs from a server without --reveal-ips): 403. */
export class ForbiddenError extends UserError {
  override name = "ForbiddenError";
}
