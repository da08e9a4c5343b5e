// The live work queue: one workQueue subscription per signed-in staff member while a staff page is
// open. Each message refreshes the counts and lists on screen; work that arrives is counted as new
// until the queue is looked at.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { StaffWorkQueueDocument, type StaffWorkQueueSubscription } from '@/generated/staff'
import { invalidate, subscribe } from '@/modules/graphql'
import { useSessionStore } from '@/features/accounts/session'

export type QueueMessage = StaffWorkQueueSubscription['workQueue']
export type QueueLiveState = 'off' | 'connecting' | 'live' | 'offline'

/** Actions that bring work to someone's queue (the rest change or take away what is there). */
const ARRIVING = new Set(['submit', 'resubmit', 'accept', 'investigate', 'verify', 'review', 'approve', 'province_decide', 'notice_ended', 'clock_warning', 'clock_overdue'])

export const useWorkQueueStore = defineStore('staffWorkQueue', () => {
  const state = ref<QueueLiveState>('off')
  /** case ids that came into the queue since it was last looked at, newest last */
  const fresh = ref<QueueMessage[]>([])
  const lastMessage = ref<QueueMessage | null>(null)
  let stop: (() => void) | null = null
  let users = 0
  let attempt = 0
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  /** whose queue this is: another sign-in starts with nothing new */
  let owner: string | null = null

  const newCount = computed(() => new Set(fresh.value.map((m) => m.caseId)).size)

  function receive(m: QueueMessage): void {
    lastMessage.value = m
    if (m.inQueue && ARRIVING.has(m.action)) {
      fresh.value = [...fresh.value.filter((x) => x.caseId !== m.caseId), m]
    } else if (!m.inQueue) {
      fresh.value = fresh.value.filter((x) => x.caseId !== m.caseId)
    }
    invalidate('StaffCaseCounts', 'StaffCases')
  }

  // each connection attempt has its own number: a late callback of an earlier one changes nothing
  let generation = 0

  function connect(): void {
    stop?.()
    stop = null
    clearTimeout(retryTimer)
    const mine = ++generation
    if (users === 0) return
    if (!navigator.onLine) {
      state.value = 'offline'
      return
    }
    state.value = 'connecting'
    stop = subscribe(StaffWorkQueueDocument, {}, {
      next: (data) => {
        if (mine !== generation) return
        attempt = 0
        state.value = 'live'
        receive(data.workQueue)
      },
      error: () => retryLater(mine),
      complete: () => retryLater(mine),
      // live as soon as the subscription is out, also over a connection a case page opened
      started: () => {
        if (mine === generation) state.value = 'live'
      },
    })
  }

  function retryLater(mine: number): void {
    if (mine !== generation || users === 0) return
    state.value = 'offline'
    stop = null
    attempt += 1
    clearTimeout(retryTimer)
    // what happened meanwhile is not replayed: the counts and lists are read again instead
    retryTimer = setTimeout(() => {
      invalidate('StaffCaseCounts', 'StaffCases')
      connect()
    }, Math.min(15_000, 1000 * 2 ** Math.min(attempt, 4)))
  }

  const onOnline = () => {
    invalidate('StaffCaseCounts', 'StaffCases')
    connect()
  }
  const onOffline = () => {
    if (users) state.value = 'offline'
  }

  /** Starts following the queue (once for however many pages ask); returns the function that lets go. */
  function follow(): () => void {
    const token = useSessionStore().token
    if (token !== owner) {
      owner = token
      fresh.value = []
      lastMessage.value = null
    }
    users += 1
    if (users === 1) {
      window.addEventListener('online', onOnline)
      window.addEventListener('offline', onOffline)
      connect()
    }
    let released = false
    return () => {
      if (released) return
      released = true
      users -= 1
      if (users === 0) {
        generation += 1
        stop?.()
        stop = null
        clearTimeout(retryTimer)
        window.removeEventListener('online', onOnline)
        window.removeEventListener('offline', onOffline)
        state.value = 'off'
      }
    }
  }

  /** The queue has been looked at: nothing is new any more. */
  function markSeen(): void {
    fresh.value = []
  }

  function isFresh(caseId: string): boolean {
    return fresh.value.some((m) => m.caseId === caseId)
  }

  return { state, fresh, newCount, lastMessage, follow, markSeen, isFresh, receive }
})
