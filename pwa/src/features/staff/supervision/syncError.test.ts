import { describe, expect, it } from 'vitest'
import { summariseSyncError } from './syncError'

describe('summariseSyncError', () => {
  it('names what the worker recorded', () => {
    expect(summariseSyncError('ProvinceUnavailable: province answered 500: {"error":{"code":"internal_error"}}'))
      .toEqual({ kind: 'server', status: 500 })
    expect(summariseSyncError('PermanentFailure: province refused (422): {"error":"bad id"}'))
      .toEqual({ kind: 'refused', status: 422 })
    expect(summariseSyncError('ProvinceUnavailable: ReadTimeout: timed out')).toEqual({ kind: 'timeout', status: null })
    expect(summariseSyncError('ProvinceUnavailable: ConnectError: [Errno 111] Connection refused'))
      .toEqual({ kind: 'unreachable', status: null })
    expect(summariseSyncError('KeyError: reference')).toEqual({ kind: 'other', status: null })
  })
})
