/** A connection URL fit for logs: the password (and any user info after the first colon) masked. */
export const maskUrl = (url: string): string => url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, "$1:****@")

/** The message of what a driver threw, for a log line or a start-up error. */
export const describeCause = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))
