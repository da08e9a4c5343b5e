// What a failed statistics request tells the reader.
import { DomainError, NetworkError, ServerError } from '@/modules/graphql'
import type { Translate } from './shape'

/** The server's own message for a refusal (bad range, role), or a general one when it could not be reached. */
export function errorText(e: Error | null | undefined, t: Translate): string | null {
  if (!e) return null
  if (e instanceof NetworkError) return t('analytics.errors.network')
  if (e instanceof DomainError) return e.message
  if (e instanceof ServerError && !/^http \d+$/.test(e.message)) return e.message
  return t('analytics.errors.server')
}
