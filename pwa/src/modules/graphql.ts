// A small GraphQL client: fetch for queries and mutations (with a per-query cache, optionally kept in
// IndexedDB so the app shows what it last knew when offline) and graphql-ws for subscriptions.
import { computed, getCurrentScope, onScopeDispose, shallowReactive, toValue, watch, type MaybeRefOrGetter } from 'vue'
import type { Client } from 'graphql-ws'
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core'
import { db } from './db'

/**
 * A generated document (src/generated/<feature>.ts): the operation's text, typed with its result and
 * variables. Structural, so the documents of every feature's module fit.
 */
export type TypedDocumentString<R, V> = DocumentTypeDecoration<R, V> & { toString(): string }

export const GRAPHQL_PATH = '/graphql'
const QUERY_TIMEOUT_MS = 20_000

/** The request never reached the server or its answer never came back (offline, weak signal). */
export class NetworkError extends Error {
  constructor(message = 'network') {
    super(message)
    this.name = 'NetworkError'
  }
}

/** The server answered with a failure that is not one of the API's typed errors. */
export class ServerError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
    this.name = 'ServerError'
  }
}

/** A typed error from a mutation's union (ValidationError, AuthError, …) or an upload. */
export class DomainError extends Error {
  constructor(
    readonly typename: string,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
    readonly retryAfter: number | null = null,
  ) {
    super(message)
    this.name = 'DomainError'
  }
}

interface AuthHooks {
  token: () => string | null
  onUnauthenticated: () => void
}

let auth: AuthHooks = { token: () => null, onUnauthenticated: () => {} }

/** Tells the client where the session token lives and what to do when the server refuses it. */
export function configureAuth(hooks: AuthHooks): void {
  auth = hooks
}

/** Answers to requests sent with a token that is no longer the phone's (the person signed out, or someone
 * else signed in, while it was on its way): a refusal in them is about that token, not about whoever is
 * signed in now, so it signs no one out. */
const answeredForAnotherSession = new WeakSet<object>()

export function authHeader(): Record<string, string> {
  const token = auth.token()
  return token ? { Authorization: `Bearer ${token}` } : {}
}

/** Sends one query or mutation and returns its data; throws NetworkError, ServerError. */
export async function request<R, V>(
  doc: TypedDocumentString<R, V>,
  variables?: V,
  { timeoutMs = QUERY_TIMEOUT_MS, token }: { timeoutMs?: number; token?: string } = {},
): Promise<R> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  const sentWith = token ?? auth.token()
  let response: Response
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        ...(token ? { Authorization: `Bearer ${token}` } : authHeader()),
      },
      body: JSON.stringify({ query: doc.toString(), variables: variables ?? {} }),
      signal: controller.signal,
    })
  } catch {
    throw new NetworkError()
  } finally {
    clearTimeout(timer)
  }
  let body: { data?: R; errors?: { message: string; extensions?: { code?: string } }[] }
  try {
    body = await response.json()
  } catch {
    throw response.status >= 500 || response.status === 0
      ? new NetworkError(`http ${response.status}`)
      : new ServerError(`http ${response.status}`, response.status)
  }
  const forThisSession = auth.token() === sentWith
  if (body.errors?.length) {
    const first = body.errors[0]
    if (first.extensions?.code === 'unauthenticated' && forThisSession) auth.onUnauthenticated()
    throw new ServerError(first.message, response.status)
  }
  if (!response.ok || !body.data) throw new ServerError(`http ${response.status}`, response.status)
  if (!forThisSession) {
    for (const payload of Object.values(body.data as object)) {
      if (payload && typeof payload === 'object') answeredForAnotherSession.add(payload)
    }
  }
  return body.data
}

type Payload = { __typename: string; code?: string; message?: string; field?: string | null; retryAfter?: number }

/** Returns a mutation's success member, or throws its typed error as a DomainError. */
export function unwrap<P extends Payload, S extends P>(payload: P, success: S['__typename']): S {
  if (payload.__typename === success) return payload as S
  if (payload.__typename === 'AuthError' && payload.code === 'unauthenticated' && !answeredForAnotherSession.has(payload)) {
    auth.onUnauthenticated()
  }
  throw new DomainError(
    payload.__typename,
    payload.code ?? 'unknown',
    payload.message ?? '',
    payload.field ?? null,
    payload.retryAfter ?? null,
  )
}

/* ---------- query cache ---------- */

export type Persist = 'public' | 'user' | false

interface CacheEntry {
  data: unknown
  error: Error | null
  loading: boolean
  fetchedAt: number
  fromStore: boolean
  promise: Promise<unknown> | null
  /** counts results written by hand (setQueryData): an answer to a request sent before one is older */
  written: number
}

const cache = new Map<string, CacheEntry>()
/** counts sign-ins and sign-outs: an answer asked for before the last one is not stored on the phone */
let session = 0

function operationName(doc: { toString(): string }): string {
  return /(?:query|mutation|subscription)\s+(\w+)/.exec(doc.toString())?.[1] ?? 'anonymous'
}

export function cacheKey(doc: { toString(): string }, variables: unknown): string {
  return `${operationName(doc)}:${JSON.stringify(variables ?? {})}`
}

function entryFor(key: string): CacheEntry {
  let entry = cache.get(key)
  if (!entry) {
    // shallow: a result is replaced whole, never changed in place, so its insides need no proxies
    entry = shallowReactive<CacheEntry>({ data: undefined, error: null, loading: false, fetchedAt: 0, fromStore: false, promise: null, written: 0 })
    cache.set(key, entry)
  }
  return entry
}

async function fromStore(persist: Persist, key: string): Promise<unknown> {
  if (!persist) return undefined
  try {
    return (await (await db()).get('queries', `${persist}:${key}`))?.data
  } catch {
    return undefined
  }
}

async function toStore(persist: Persist, key: string, data: unknown): Promise<void> {
  if (!persist) return
  try {
    await (await db()).put('queries', { key: `${persist}:${key}`, data, savedAt: Date.now() })
  } catch {
    // storage full or unavailable: the app still works online
  }
}

/** Fetches a query into the cache (one request at a time per key) and returns its data. */
export function fetchQuery<R, V>(doc: TypedDocumentString<R, V>, variables: V, persist: Persist = false): Promise<R> {
  const key = cacheKey(doc, variables)
  const entry = entryFor(key)
  if (entry.promise) return entry.promise as Promise<R>
  entry.loading = true
  const asked = session
  const written = entry.written
  const run = (async () => {
    // the network first; what the phone stored is shown meanwhile, or instead when the network fails
    const network = request(doc, variables)
    const stored = entry.data === undefined && persist ? fromStore(persist, key) : Promise.resolve(undefined)
    void stored.then((value) => {
      if (value !== undefined && entry.data === undefined) {
        entry.data = value
        entry.fromStore = true
      }
    })
    try {
      const data = await network
      if (entry.written !== written) return entry.data as R
      entry.data = data
      entry.error = null
      entry.fetchedAt = Date.now()
      entry.fromStore = false
      if (asked === session) void toStore(persist, key, data)
      return data
    } catch (e) {
      if (entry.written !== written) return entry.data as R
      entry.error = e as Error
      const value = await stored
      if (entry.data === undefined && value !== undefined) {
        entry.data = value
        entry.fromStore = true
      }
      if (entry.data !== undefined) return entry.data as R
      throw e
    } finally {
      entry.loading = false
      entry.promise = null
    }
  })()
  entry.promise = run
  return run
}

/** Writes data into the cache as if a query had returned it (after a mutation). */
export function setQueryData<R, V>(doc: TypedDocumentString<R, V>, variables: V, data: R, persist: Persist = false) {
  const key = cacheKey(doc, variables)
  const entry = entryFor(key)
  entry.data = data
  entry.error = null
  entry.fetchedAt = Date.now()
  entry.fromStore = false
  entry.written += 1
  void toStore(persist, key, data)
}

/** The refetch functions of the queries pages are showing now, by cache key. */
const shown = new Map<string, Set<() => void>>()

function show(key: string, refetch: () => void): () => void {
  let set = shown.get(key)
  if (!set) shown.set(key, (set = new Set()))
  set.add(refetch)
  return () => {
    set.delete(refetch)
    if (!set.size) shown.delete(key)
  }
}

/** Marks cached results of these operations stale and fetches again the ones on screen. */
export function invalidate(...names: string[]): void {
  for (const [key, entry] of cache) {
    if (!names.some((n) => key.startsWith(`${n}:`))) continue
    entry.fetchedAt = 0
    shown.get(key)?.forEach((refetch) => refetch())
  }
}

// back online: what is on screen and came from the phone's store (or failed) is fetched afresh
if (typeof window !== 'undefined') {
  window.addEventListener('online', () => {
    for (const [key, refetchers] of shown) {
      const entry = cache.get(key)
      if (entry && (entry.error || entry.fromStore)) refetchers.forEach((refetch) => refetch())
    }
  })
}

/** Forgets everything cached for the signed-in person (on sign-out). */
export async function clearUserCache(): Promise<void> {
  session += 1
  cache.clear()
  try {
    const store = (await db()).transaction('queries', 'readwrite').store
    for (const key of await store.getAllKeys()) {
      if (key.startsWith('user:')) await store.delete(key)
    }
  } catch {
    // nothing stored
  }
}

export interface QueryOptions {
  persist?: Persist
  enabled?: MaybeRefOrGetter<boolean>
  /** Fetch again when the cached result is older than this (ms). */
  maxAge?: number
}

/** A cached query as reactive state: data, error, loading, and whether the data is from a past visit. */
export function useQuery<R, V>(doc: TypedDocumentString<R, V>, variables: MaybeRefOrGetter<V>, options: QueryOptions = {}) {
  const { persist = false, enabled = true, maxAge = 0 } = options
  const key = computed(() => cacheKey(doc, toValue(variables)))
  const entry = computed(() => entryFor(key.value))

  function load(): Promise<R | undefined> {
    return fetchQuery(doc, toValue(variables), persist).catch(() => undefined)
  }

  /** Reads again because something changed: a read already on its way may have been answered before it. */
  function refetch(): Promise<R | undefined> {
    const running = entry.value.promise
    return running ? running.catch(() => undefined).then(load) : load()
  }

  let hide: (() => void) | null = null
  watch(
    [key, () => toValue(enabled)],
    () => {
      hide?.()
      hide = null
      if (!toValue(enabled)) return
      hide = show(key.value, () => void refetch())
      const e = entry.value
      if (e.data === undefined || e.fromStore || Date.now() - e.fetchedAt > maxAge) void load()
    },
    { immediate: true },
  )
  if (getCurrentScope()) onScopeDispose(() => hide?.())

  return {
    data: computed(() => entry.value.data as R | undefined),
    error: computed(() => entry.value.error),
    loading: computed(() => entry.value.loading),
    stale: computed(() => entry.value.fromStore || (entry.value.error instanceof NetworkError && entry.value.data !== undefined)),
    refetch,
  }
}

/* ---------- subscriptions (graphql-transport-ws) ---------- */

let wsClient: Promise<Client> | null = null
type WsListener = (event: 'connected' | 'closed') => void
const wsListeners = new Set<WsListener>()
/** whether the connection is open and acknowledged (a new subscription then goes out at once) */
let wsConnected = false

function wsUrl(): string {
  const { protocol, host } = window.location
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}${GRAPHQL_PATH}`
}

async function createWsClient(): Promise<Client> {
  const { createClient } = await import('graphql-ws')
  // the library's code runs in one task, the socket opens in the next: two short tasks on a cheap phone
  await new Promise((resolve) => setTimeout(resolve, 0))
  let socket: WebSocket | null = null
  let pongTimer: ReturnType<typeof setTimeout> | undefined
  return createClient({
    url: wsUrl(),
    lazy: true,
    // the browser's own ids where it has them (a secure context): no regular expression per subscription
    ...(typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function' ? { generateID: () => crypto.randomUUID() } : {}),
    // reconnecting is the caller's job: it resumes with the last seq it has, so nothing is missed
    retryAttempts: 0,
    keepAlive: 15_000,
    connectionParams: () => {
      const token = auth.token()
      return token ? { token } : {}
    },
    on: {
      opened: (s) => {
        socket = s as WebSocket
      },
      connected: () => {
        wsConnected = true
        wsListeners.forEach((l) => l('connected'))
      },
      closed: () => {
        wsConnected = false
        socket = null
        clearTimeout(pongTimer)
        wsListeners.forEach((l) => l('closed'))
      },
      ping: (received) => {
        // a half-open connection (weak signal) answers no pong: close it so the caller reconnects
        if (!received) {
          pongTimer = setTimeout(() => {
            if (socket?.readyState === WebSocket.OPEN) socket.close(4408, 'pong timeout')
          }, 6_000)
        }
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer)
      },
    },
  })
}

/** Listens to the WebSocket connection opening and closing. */
export function onWsConnection(listener: WsListener): () => void {
  wsListeners.add(listener)
  return () => wsListeners.delete(listener)
}

/** Closes the subscription connection (on sign-out, so the next one signs in afresh). */
export async function resetWs(): Promise<void> {
  const client = wsClient
  wsClient = null
  if (client) (await client).dispose()
}

export interface SubscriptionSink<R> {
  next(data: R): void
  error(error: unknown): void
  complete(): void
  /**
   * The subscription went out over an acknowledged connection: at once when the connection was already
   * open (another subscription opened it), else when it is acknowledged.
   */
  started?(): void
}

/** Subscribes; returns a function that stops the subscription. */
export function subscribe<R, V>(doc: TypedDocumentString<R, V>, variables: V, sink: SubscriptionSink<R>): () => void {
  let dispose: (() => void) | null = null
  let stopWaiting: (() => void) | null = null
  let cancelled = false
  wsClient ??= createWsClient()
  wsClient
    .then((client) => {
      if (cancelled) return
      dispose = client.subscribe<R>(
        { query: doc.toString(), variables: variables as Record<string, unknown> },
        {
          next: (result) => {
            if (result.errors?.length) sink.error(new ServerError(result.errors[0].message, 200))
            else if (result.data) sink.next(result.data as R)
          },
          error: (e) => sink.error(e),
          complete: () => sink.complete(),
        },
      )
      if (!sink.started) return
      if (wsConnected) {
        sink.started()
        return
      }
      stopWaiting = onWsConnection((event) => {
        stopWaiting?.()
        stopWaiting = null
        if (event === 'connected' && !cancelled) sink.started?.()
      })
    })
    .catch((e) => sink.error(e))
  return () => {
    cancelled = true
    stopWaiting?.()
    dispose?.()
  }
}
