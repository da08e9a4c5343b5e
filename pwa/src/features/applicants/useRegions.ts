// Household-registration places: the district's townships with their villages, fetched in one query
// and kept on the phone, so both lists work offline.
import { computed, toValue, type MaybeRefOrGetter } from 'vue'
import { RegionTreeDocument } from '@/generated/applicants'
import { useQuery } from '@/modules/graphql'

export const DISTRICT_CODE = '511703'

export function useRegionTree() {
  const query = useQuery(RegionTreeDocument, { parentCode: DISTRICT_CODE }, { persist: 'public', maxAge: 24 * 3600 * 1000 })
  const townships = computed(() => query.data.value?.regions ?? [])
  function villagesOf(townshipCode: string) {
    return townships.value.find((t) => t.code === townshipCode)?.children ?? []
  }
  return { ...query, townships, villagesOf }
}

export function useVillages(townshipCode: MaybeRefOrGetter<string>) {
  const tree = useRegionTree()
  return computed(() => tree.villagesOf(toValue(townshipCode)))
}
