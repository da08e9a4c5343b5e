// The analytics dashboard and the 回头看 review: loaded on demand with ECharts and their messages.
import type { RouteRecordRaw } from 'vue-router'

export const analyticsRoutes: RouteRecordRaw[] = []
