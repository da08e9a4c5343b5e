// What a supervisor is told about a failed provincial push. The worker records the technical text
// (`ProvinceUnavailable: province answered 503: …`, `…ReadTimeout…`, `province refused (422): …`); the board
// names the kind of failure in words and keeps the technical text folded away for whoever fixes it.

export type SyncErrorKind = 'refused' | 'timeout' | 'unreachable' | 'server' | 'other'

export interface SyncErrorSummary {
  kind: SyncErrorKind
  status: number | null
}

export function summariseSyncError(raw: string): SyncErrorSummary {
  const refused = /refused \((\d{3})\)/.exec(raw)
  if (refused) return { kind: 'refused', status: Number(refused[1]) }
  if (/Timeout/.test(raw)) return { kind: 'timeout', status: null }
  if (/ConnectError|ConnectionRefused|RemoteProtocolError|NetworkError/.test(raw)) {
    return { kind: 'unreachable', status: null }
  }
  const answered = /answered (\d{3})/.exec(raw)
  if (answered) return { kind: 'server', status: Number(answered[1]) }
  return { kind: 'other', status: null }
}
