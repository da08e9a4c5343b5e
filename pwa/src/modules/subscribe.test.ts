// Subscriptions share one graphql-ws connection: each one learns it is live when it has gone out, also when
// another subscription opened the connection long before.
import { beforeEach, describe, expect, it, vi } from 'vitest'

interface FakeOn {
  connected?: () => void
  closed?: () => void
}

const fake = vi.hoisted(() => ({ on: {} as FakeOn, subscribed: [] as string[], released: [] as string[] }))

vi.mock('graphql-ws', () => ({
  createClient: (options: { on: FakeOn }) => {
    fake.on = options.on
    return {
      subscribe: (payload: { query: string }) => {
        fake.subscribed.push(payload.query)
        return () => fake.released.push(payload.query)
      },
      dispose: () => fake.on.closed?.(),
    }
  },
}))

vi.stubGlobal('window', { location: { protocol: 'http:', host: 'localhost' }, addEventListener: () => undefined })

const { resetWs, subscribe } = await import('./graphql')

const doc = (name: string) => ({ toString: () => `subscription ${name} { x }` }) as never
/** Lets the client load and open (it waits a task between the two). */
async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0))
}

function sink() {
  return { next: vi.fn(), error: vi.fn(), complete: vi.fn(), started: vi.fn() }
}

describe('subscribe', () => {
  beforeEach(async () => {
    await resetWs()
    fake.subscribed.length = 0
    fake.released.length = 0
  })

  it('tells the first subscription it started once the connection is acknowledged', async () => {
    const first = sink()
    subscribe(doc('First'), {}, first)
    await flush()
    expect(fake.subscribed).toEqual(['subscription First { x }'])
    expect(first.started).not.toHaveBeenCalled()
    fake.on.connected?.()
    expect(first.started).toHaveBeenCalledTimes(1)
    fake.on.closed?.()
    fake.on.connected?.()
    expect(first.started).toHaveBeenCalledTimes(1) // once per subscription, not per connection
  })

  it('tells a second subscription over the open connection at once (no "connected" comes for it)', async () => {
    subscribe(doc('First'), {}, sink())
    await flush()
    fake.on.connected?.()
    const second = sink()
    subscribe(doc('Second'), {}, second)
    await flush()
    expect(fake.subscribed).toHaveLength(2)
    expect(second.started).toHaveBeenCalledTimes(1)
  })

  it('does not call a stopped subscription started, and releases it', async () => {
    const stopped = sink()
    const stop = subscribe(doc('Stopped'), {}, stopped)
    await flush()
    stop()
    fake.on.connected?.()
    expect(stopped.started).not.toHaveBeenCalled()
    expect(fake.released).toEqual(['subscription Stopped { x }'])
  })

  it('does not call a subscription started when the connection closes before it is acknowledged', async () => {
    const refused = sink()
    subscribe(doc('Refused'), {}, refused)
    await flush()
    fake.on.closed?.()
    fake.on.connected?.()
    expect(refused.started).not.toHaveBeenCalled()
  })
})
