// The tag type of a visit record's state: words always, colour only as a second cue.
import type { VisitState } from './visitTypes'

export const VISIT_TAG: Record<VisitState, 'primary' | 'success' | 'warning' | 'danger' | 'default'> = {
  draft: 'default',
  queued: 'warning',
  sending: 'primary',
  sent: 'success',
  conflict: 'danger',
  failed: 'danger',
}
