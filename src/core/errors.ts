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
