// The date range of an analytics page, kept in the address (?from=…&to=…) so a view can be shared and
// reloaded; a preset until one is chosen.
import { computed } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { beijingToday, presetRange, rangeProblem, type DateRange, type RangePreset } from './shape'

export function useRange(preset: RangePreset = 'last12') {
  const route = useRoute()
  const router = useRouter()
  const fallback = presetRange(preset, beijingToday())
  const range = computed<DateRange>(() => ({
    from: typeof route.query.from === 'string' ? route.query.from : fallback.from,
    to: typeof route.query.to === 'string' ? route.query.to : fallback.to,
  }))
  const problem = computed(() => rangeProblem(range.value))
  const valid = computed(() => problem.value === null)

  function setRange(next: DateRange): void {
    void router.replace({ query: { ...route.query, from: next.from, to: next.to } })
  }

  return { range, problem, valid, setRange }
}
