// One case, its live progress over graphql-ws, and what the applicant may do with it.
import { computed, onBeforeUnmount, onMounted, ref, type Ref } from 'vue'
import {
  CaseDetailDocument,
  CaseProgressDocument,
  type CaseDetailQuery,
  type CaseEventFieldsFragment,
  type CaseStatus,
} from '@/generated/cases'
import { subscribe, useQuery } from '@/modules/graphql'

export type CaseDetail = CaseDetailQuery['case']
export type CaseEvent = CaseEventFieldsFragment

/** Statuses after which the applicant may rate the case (as the API's surveys service decides). */
export const RATEABLE: CaseStatus[] = ['CLOSED', 'REJECTED', 'REFUSED', 'WITHDRAWN', 'APPROVED', 'PAYING']
export const TERMINAL: CaseStatus[] = ['CLOSED', 'REJECTED', 'REFUSED', 'WITHDRAWN']
export const WITHDRAW_GRACE_MS = 10 * 60 * 1000

/** A case fetched this long ago is fresh: the router asks for it while the page's code loads, not twice. */
const CASE_FRESH_MS = 10_000

export function useCaseDetail(id: Ref<string>) {
  return useQuery(CaseDetailDocument, () => ({ id: id.value }), { persist: 'user', enabled: () => !!id.value, maxAge: CASE_FRESH_MS })
}

/** Whether the applicant may still withdraw: before acceptance, or within 10 minutes of submitting. */
export function canWithdraw(c: Pick<CaseDetail, 'status' | 'submittedAt'>, now = Date.now()): boolean {
  if (TERMINAL.includes(c.status)) return false
  if (c.status === 'SUBMITTED' || c.status === 'RETURNED') return true
  return now - new Date(c.submittedAt).getTime() <= WITHDRAW_GRACE_MS
}

export type LiveState = 'connecting' | 'live' | 'offline'

/**
 * Follows a case's steps as they happen. On every (re)connection it asks for the steps after the last
 * one it has (`afterSeq`), so a dropped connection misses nothing and repeats nothing.
 */
export function useCaseProgress(caseId: Ref<string>, lastSeq: () => number, onEvent: (e: CaseEvent) => void) {
  const state = ref<LiveState>('connecting')
  const lastEventAt = ref<number | null>(null)
  let stop: (() => void) | null = null
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let attempt = 0
  let mounted = false
  let wanted = false
  // each connection attempt has its own number: a late callback of an earlier one changes nothing
  // (stopping a subscription completes it, a moment later)
  let generation = 0

  /** Starts following once the page has loaded and the phone is idle (the first screen comes first). */
  function start(): void {
    const go = () => {
      wanted = true
      if (mounted) connect()
    }
    const idle = () => ('requestIdleCallback' in window ? window.requestIdleCallback(go, { timeout: 1000 }) : setTimeout(go, 0))
    if (document.readyState === 'complete') idle()
    else window.addEventListener('load', idle, { once: true })
  }

  function connect(): void {
    stop?.()
    stop = null
    clearTimeout(retryTimer)
    const mine = ++generation
    if (!mounted || !wanted) return
    if (!navigator.onLine) {
      state.value = 'offline'
      return
    }
    state.value = 'connecting'
    stop = subscribe(
      CaseProgressDocument,
      { caseId: caseId.value, afterSeq: lastSeq() },
      {
        next: (data) => {
          if (mine !== generation) return
          attempt = 0
          state.value = 'live'
          lastEventAt.value = Date.now()
          onEvent(data.caseProgress)
        },
        error: () => retryLater(mine),
        complete: () => retryLater(mine),
        // live as soon as the subscription is out, also over a connection another subscription opened
        started: () => {
          if (mine !== generation) return
          attempt = 0
          state.value = 'live'
        },
      },
    )
  }

  function retryLater(mine: number): void {
    if (mine !== generation) return
    state.value = 'offline'
    stop = null
    if (!mounted || !wanted) return
    clearTimeout(retryTimer)
    attempt += 1
    retryTimer = setTimeout(connect, Math.min(15_000, 1000 * 2 ** Math.min(attempt, 4)))
  }

  const onOnline = () => connect()
  const onOffline = () => {
    state.value = 'offline'
  }
  const onVisible = () => {
    if (document.visibilityState === 'visible' && state.value !== 'live') connect()
  }

  onMounted(() => {
    mounted = true
    if (wanted) connect()
    window.addEventListener('online', onOnline)
    window.addEventListener('offline', onOffline)
    document.addEventListener('visibilitychange', onVisible)
  })
  onBeforeUnmount(() => {
    mounted = false
    generation += 1
    stop?.()
    clearTimeout(retryTimer)
    window.removeEventListener('online', onOnline)
    window.removeEventListener('offline', onOffline)
    document.removeEventListener('visibilitychange', onVisible)
  })

  return { state, lastEventAt, start }
}

/** Merges the steps the server listed with those that arrived live: by seq, no duplicates. */
export function mergeEvents(listed: CaseEvent[], live: CaseEvent[]): CaseEvent[] {
  const bySeq = new Map<number, CaseEvent>()
  for (const e of listed) bySeq.set(e.seq, e)
  for (const e of live) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e)
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq)
}

export const caseStatus = (c: { status: CaseStatus } | undefined, events: CaseEvent[]): CaseStatus | undefined => {
  const last = events[events.length - 1]
  return last?.toStatus ?? c?.status
}

export function useNow(intervalMs = 30_000) {
  const now = ref(Date.now())
  let timer: ReturnType<typeof setInterval> | undefined
  onMounted(() => (timer = setInterval(() => (now.value = Date.now()), intervalMs)))
  onBeforeUnmount(() => clearInterval(timer))
  return computed(() => now.value)
}
