// keepsake/inspector: a live page of the supervision tree. A subpath of its
// own, so only programs that import it load node:http and the page.
export { startInspector, type Inspector } from './inspector/server'
export type { InspectedNode, InspectedPool, InspectorOptions } from './inspector/options'
export { redactSecrets } from './inspector/redaction'
export type { Redactor, StateLimits } from './inspector/stateView'
export type { ClusterPoolSummary, ClusterView, StatusCounts, Totals, View, ViewFilter, ViewNode } from './inspector/model'
export type { LastCrash, TimelineEntry } from './inspector/activity'
